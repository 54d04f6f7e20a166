package io.jdpo.train;

import io.jdpo.testing.ForkedJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An application started without --add-modules jdk.incubator.vector learns it when it
 * constructs the trainer, with the flag to add, not from a NoClassDefFoundError after the
 * reference pass.
 */
class VectorModuleTest {
    @Test
    void aTrainerRefusesAJvmWithoutTheVectorModuleAndNamesTheFlag() throws Exception {
        ForkedJvm.Result without = ForkedJvm.runCommand(ForkedJvm.command(false, List.of(), VectorModuleCheck.class), VectorModuleCheck.class, 120);
        assertEquals(0, without.exitCode(), without.output());
        assertTrue(without.output().contains("refused: jdk.incubator.vector is not in this JVM: start it with --add-modules jdk.incubator.vector"),
                without.output());
        ForkedJvm.Result with = ForkedJvm.run(List.of(), VectorModuleCheck.class, 120);
        assertTrue(with.output().contains("constructed"), with.output());
    }
}
