package io.jdpo.verify;

import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.tensor.Simd;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Java engine starts and agrees with llama.cpp at this JVM's vector width: the suite runs
 * this class at the machine's width, at 128 and 512 bits and on the scalar kernels.
 */
class WidthParityTest {

    @Test
    void stories260KAgreesWithLlamaCppAtThisWidth(@TempDir Path dir) throws Exception {
        Simd.check();
        Path f32 = TestData.stories260K();
        Path q8 = dir.resolve("stories.q8_0.gguf"), copy = dir.resolve("stories.q8_0.f32-copy.gguf");
        ModelQuantizer.quantize(f32, q8, FileType.Q8_0, 2);
        io.jdpo.model.DequantizedCopy.write(q8, copy);
        String text = ParityReport.sampleText();
        ParityReport r32 = ParityReport.measure(f32, text, 128, 2);
        ParityReport.ThreeWay q = ParityReport.againstCopy(q8, copy, text, 128, 2);
        System.out.println(Simd.describe() + ": stories260K F32 " + r32 + "; Q8_0 float vs F32 copy " + q.javaVsCopy()
                + "; Q8_0 deployed vs llama.cpp " + q.javaVsLlama() + "; float vs llama.cpp " + q.floatVsLlama());
        assertTrue(r32.maxAbs() <= 1e-3 && r32.top1Agreement() >= 0.99, "F32 at " + Simd.describe() + ": " + r32);
        assertTrue(q.javaVsCopy().meanAbs() <= 1e-4 && q.javaVsCopy().maxAbs() <= 2e-3, "Q8_0 copy at " + Simd.describe() + ": " + q.javaVsCopy());
        assertTrue(q.javaVsLlama().meanAbs() < q.floatVsLlama().meanAbs(), "deployed closer than float at " + Simd.describe());
    }

    /** A setting the engine cannot start with is one line on stderr and exit status 1, in a JVM of its own. */
    @Test
    void engineThatCannotStartSaysSoInOneLine() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Djdpo.simd.bits=96",
                "-cp", System.getProperty("java.class.path"), "io.jdpo.cli.Jdpo", "score", TestData.stories260K().toString(),
                "--engine", "java", "-p", "Once upon", "-c", " a time"));
        String nativeDir = System.getProperty("jdpo.native.dir");
        if (nativeDir != null && !nativeDir.isEmpty()) cmd.add(1, "-Djdpo.native.dir=" + nativeDir);
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(1, rc, "exit status; stderr:\n" + err + "\nstdout:\n" + out);
        assertEquals(1, lines.size(), "one line:\n" + err);
        assertTrue(lines.getFirst().contains("jdpo.simd.bits must be 128, 256 or 512"), lines.getFirst());
    }
}
