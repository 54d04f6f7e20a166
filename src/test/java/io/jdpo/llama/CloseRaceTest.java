package io.jdpo.llama;

import io.jdpo.testing.ForkedJvm;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Closing a model or context from another thread while a call is in flight waits for it (or
 * refuses the next call) and never frees memory under native code. Run in a forked JVM: a
 * use-after-free is a SIGSEGV that would otherwise take the test runner down with it.
 */
class CloseRaceTest {

    @Test
    void closingFromAnotherThreadWhileScoringAndGeneratingNeverCrashes() throws Exception {
        Path model = TestData.stories260K().toAbsolutePath();
        ForkedJvm.Result r = ForkedJvm.run(List.of("-Xmx256m"), CloseRace.class, 600,
                model.toString(), "1000", "17");
        assertEquals(0, r.exitCode(), "the forked JVM died (exit " + r.exitCode() + "):\n" + r.output());
        assertTrue(r.output().contains("rounds survived: 1000"), r.output());
    }
}
