package io.jdpo.train;

import io.jdpo.gguf.GgufModel;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.OffHeap;
import io.jdpo.model.Transformer;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A run whose off-heap memory this JVM may not reserve is refused before any work, with the ways round it. */
class OffHeapBudgetTest {
    private static final LoraConfig LORA = new LoraConfig(8, 16, false, LoraTarget.all(), 0f);

    @Test
    void aRunWithinTheCapPasses() throws Exception {
        assertDoesNotThrow(() -> OffHeapBudget.check(TestData.stories260K(), LORA, false, 512, 4));
    }

    @Test
    void aPassOverTheCapIsRefusedNamingTheFlagAndTheWaysRound() throws Exception {
        Path model = TestData.stories260K();
        int rows = rowsOver(model, OffHeap.limit());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OffHeapBudget.check(model, LORA, false, rows, 1));
        for (String s : new String[]{"-XX:MaxDirectMemorySize", "JDPO_JAVA_OPTS", "--max-length", "--recompute", rows + " tokens"}) {
            assertTrue(e.getMessage().contains(s), s + " in: " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("--batch-size"), e.getMessage());
        // Recomputed activations are not kept: only the adapter and its optimizer state count.
        assertDoesNotThrow(() -> OffHeapBudget.check(model, LORA, true, rows, 1));
    }

    @Test
    void passesHeldTogetherCountTogether() throws Exception {
        Path model = TestData.stories260K();
        // Each pass takes just over a third of the cap: one fits, three held at once (a batch-coupled loss) do not.
        int rows = rowsOver(model, OffHeap.limit() / 3);
        assertDoesNotThrow(() -> OffHeapBudget.check(model, LORA, false, rows, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OffHeapBudget.check(model, LORA, false, rows, 3));
        assertTrue(e.getMessage().contains("3 passes") && e.getMessage().contains("--batch-size"), e.getMessage());
    }

    /** The fewest rows whose kept activations exceed {@code bytes}. */
    private static int rowsOver(Path model, long bytes) throws Exception {
        ModelConfig cfg;
        try (GgufModel g = GgufModel.open(model)) {
            cfg = ModelConfig.from(g);
        }
        long perRow = Transformer.keptActivationBytes(cfg, LORA, 64) / 64;
        return Math.toIntExact(bytes / perRow + 64);
    }
}
