package io.jdpo.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the two length limits combine when only one is given. */
class TrainConfigTest {
    @Test
    void aShortMaxLengthAloneHalvesTheDefaultPromptLimit() {
        TrainConfig c = TrainConfig.defaults().toBuilder().maxLength(256).build();
        assertEquals(256, c.maxLength());
        assertEquals(128, c.maxPromptLength());
        assertEquals(512, TrainConfig.defaults().toBuilder().maxLength(2048).build().maxPromptLength(), "a longer limit keeps the default");
        assertEquals(1024, TrainConfig.defaults().maxLength());
        assertEquals(512, TrainConfig.defaults().maxPromptLength());
    }

    @Test
    void anExplicitPromptLimitIsKeptAndChecked() {
        assertEquals(200, TrainConfig.defaults().toBuilder().maxLength(256).maxPromptLength(200).build().maxPromptLength());
        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.defaults().toBuilder().maxLength(256).maxPromptLength(300).build());
        assertTrue(e.getMessage().contains("300") && e.getMessage().contains("256"), e.getMessage());
    }
}
