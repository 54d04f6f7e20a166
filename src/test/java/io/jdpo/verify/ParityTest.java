package io.jdpo.verify;

import io.jdpo.model.DequantizedCopy;
import io.jdpo.llama.FileType;
import io.jdpo.model.Transformer;
import io.jdpo.model.UnsupportedModelException;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/** The Java forward against llama.cpp's log-probs on the same tokens. */
class ParityTest {

    @Test
    void stories260KF32AndF16MatchLlamaCpp(@TempDir Path dir) throws Exception {
        Path f32 = TestData.stories260K();
        Path f16 = dir.resolve("stories.f16.gguf");
        ModelQuantizer.quantize(f32, f16, FileType.F16, 2);
        String text = ParityReport.sampleText();
        ParityReport r32 = ParityReport.measure(f32, text, 128, 2);
        ParityReport r16 = ParityReport.measure(f16, text, 128, 2);
        // llama.cpp rounds activations to F16 before every F16 product, so on F16 weights a
        // one-ulp difference anywhere upstream can flip a rounding and grow from there. Its
        // own log-probs move that much when the norm weights move by one float ulp: that
        // floor, measured here, is what any engine not bit-identical to llama.cpp can reach.
        ParityReport floor16 = ParityReport.betweenFiles(f16, TestModelFactory.nudgedVectors(f16, dir.resolve("f16-nudged.gguf")), text, 128, 2);
        ParityReport floor32 = ParityReport.betweenFiles(f32, TestModelFactory.nudgedVectors(f32, dir.resolve("f32-nudged.gguf")), text, 128, 2);
        System.out.println("parity stories260K F32: " + r32 + "\n  llama.cpp vs itself, norm weights one ulp apart: " + floor32);
        System.out.println("parity stories260K F16: " + r16 + "\n  llama.cpp vs itself, norm weights one ulp apart: " + floor16);
        for (ParityReport r : new ParityReport[]{r32, r16}) {
            assertTrue(r.tokens() >= 1000, "at least 1,000 completion tokens: " + r.tokens());
            assertTrue(r.top1Agreement() >= 0.99, r.toString());
        }
        assertTrue(floor16.maxAbs() > 1e-3, "F16 floor: " + floor16);
        if (io.jdpo.tensor.GgmlOrder.LANES > 0) {
            // The deployed arithmetic adds in ggml's order: llama.cpp's numbers, far below that floor.
            for (ParityReport r : new ParityReport[]{r32, r16}) {
                assertTrue(r.meanAbs() <= 1e-4 && r.maxAbs() <= 2e-3 && r.top1Agreement() == 1.0, r.toString());
            }
        } else {
            assertTrue(r32.maxAbs() <= 1e-3, "F32: " + r32);
            assertTrue(r16.meanAbs() <= 1.5 * floor16.meanAbs() && r16.maxAbs() <= 1.5 * floor16.maxAbs(),
                    "F16: " + r16 + " against llama.cpp's own floor " + floor16);
        }
    }

    @Test
    void everyArchitectureAtF32AgreesToRounding(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(128, 2, 4, 2, 256, 512);
        StringBuilder table = new StringBuilder();
        // The Gemma and Phi-3 models have their own, tighter test below.
        for (TestModelFactory.Arch arch : new TestModelFactory.Arch[]{TestModelFactory.Arch.LLAMA, TestModelFactory.Arch.QWEN2,
                TestModelFactory.Arch.QWEN3}) {
            for (boolean tied : new boolean[]{false, true}) {
                Path model = TestModelFactory.quantized(TestData.stories260K(), shape.with(arch, tied), 3, FileType.F32, dir);
                ParityReport r = ParityReport.measure(model, ParityReport.sampleText(), 128, 2);
                table.append(String.format(Locale.ROOT, "%-6s %-6s %s%n", arch, tied ? "tied" : "untied", r));
                assertTrue(r.maxAbs() <= 1e-3 && r.top1Agreement() >= 0.99, arch + " tied=" + tied + ": " + r);
            }
        }
        Path rf = TestModelFactory.quantized(TestData.stories260K(), shape.withRopeFactors(), 3, FileType.F32, dir);
        ParityReport r = ParityReport.measure(rf, ParityReport.sampleText(), 128, 2);
        table.append(String.format(Locale.ROOT, "LLAMA  rope_freqs %s%n", r));
        System.out.print("parity of generated models at F32:\n" + table);
        assertTrue(r.maxAbs() <= 1e-3, "llama with rope_freqs factors: " + r);
    }

    /**
     * Gemma 2, Gemma 3 and Phi-3 at F32 against llama.cpp, on the sample's lines and on the
     * sample as one text cut into 128-token windows: eight times the generated Gemma models'
     * sliding window of 16 positions, so most keys of the local layers are outside it. Phi-3
     * (also with its short/long rope factors and attention factor) within 1e-4 nats; Gemma
     * within twice llama.cpp's own movement under one-ulp changes of the norm weights.
     */
    @Test
    void gemmaAndPhiAtF32AgreeWithinTheFamilyBound(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(128, 2, 4, 2, 256, 512);
        String oneText = ParityReport.sampleText().replace('\n', ' ');
        StringBuilder table = new StringBuilder();
        java.util.List<TestModelFactory.Shape> shapes = new java.util.ArrayList<>();
        for (TestModelFactory.Arch arch : new TestModelFactory.Arch[]{TestModelFactory.Arch.GEMMA2, TestModelFactory.Arch.GEMMA3,
                TestModelFactory.Arch.PHI3}) {
            for (boolean tied : new boolean[]{false, true}) {
                if (!tied && arch.alwaysTied()) continue;
                shapes.add(shape.with(arch, tied));
            }
        }
        shapes.add(shape.with(TestModelFactory.Arch.PHI3, false).withRopeFactors());
        java.util.List<String> failures = new java.util.ArrayList<>();
        for (TestModelFactory.Shape s : shapes) {
            Path model = TestModelFactory.quantized(TestData.stories260K(), s, 3, FileType.F32, dir);
            ParityReport lines = ParityReport.measure(model, ParityReport.sampleText(), 128, 2);
            ParityReport windows = ParityReport.measure(model, oneText, 128, 2);
            ParityReport floor = ParityReport.betweenFiles(model, TestModelFactory.nudgedVectors(model, dir.resolve("nudged-" + model.getFileName())),
                    oneText, 128, 2);
            String what = String.format(Locale.ROOT, "%-6s %-6s%s", s.arch(), s.tied() || s.arch().alwaysTied() ? "tied" : "untied",
                    s.ropeFactors() ? " rope factors" : "");
            table.append(String.format(Locale.ROOT, "%s lines: %s%n%s 128-token windows: %s%n%s llama.cpp vs itself, norm weights one ulp apart: %s%n",
                    what, lines, what, windows, what, floor));
            for (ParityReport r : new ParityReport[]{lines, windows}) {
                // Gemma's MLP goes through ggml's F16 GELU table: a one-ulp difference upstream
                // flips a rounding there, and llama.cpp's own log-probs move by ~3e-4 under
                // one-ulp changes of the norm weights (the floor printed). The deployed
                // arithmetic adds in ggml's order (GgmlOrder), so no such difference arises and
                // every architecture meets the llama family's 1e-4; where ggml's order is not
                // known (not x86), Gemma is held to twice that floor instead.
                boolean gemma = s.arch() != TestModelFactory.Arch.PHI3;
                boolean ok = r.top1Agreement() >= 0.99 && (gemma && io.jdpo.tensor.GgmlOrder.LANES == 0
                        ? r.maxAbs() <= 2 * floor.maxAbs() && r.meanAbs() <= 2 * floor.meanAbs()
                        : r.maxAbs() <= 1e-4);
                if (!ok) failures.add(what + ": " + r + (gemma ? " against llama.cpp's own floor " + floor : ""));
            }
        }
        System.out.print("parity of generated Gemma and Phi-3 models at F32:\n" + table);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.2e", v);
    }

    @Test
    void unsupportedArchitectureIsRefusedByName(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("gpt2.gguf");
        new io.jdpo.gguf.GgufWriter().put("general.architecture", "gpt2").write(model);
        var e = assertThrows(UnsupportedModelException.class, () -> Transformer.load(model, 1));
        assertTrue(e.getMessage().contains("'gpt2'"), e.getMessage());
    }

    /** Every quantized type the Java forward reads, as llama.cpp's whole-model quantizations make them. */
    static final FileType[] QUANTIZED = {FileType.Q8_0, FileType.Q4_0, FileType.Q4_1, FileType.Q5_0, FileType.Q5_1,
            FileType.Q2_K, FileType.Q3_K_M, FileType.Q4_K_S, FileType.Q4_K_M, FileType.Q5_K_M, FileType.Q6_K,
            FileType.IQ4_NL, FileType.IQ4_XS, FileType.F16, FileType.BF16};

    /**
     * The deployed arithmetic against llama.cpp on the quantized file itself, every type, tied
     * and untied, every architecture: closer than the float arithmetic (the printed table is
     * the README's). The float arithmetic against llama.cpp on an F32 copy of the
     * weights checks the rest of the forward; the float arithmetic against the quantized file
     * is the gap llama.cpp's activation rounding makes (the "before" of the README's table).
     */
    @Test
    void generatedQuantizedModelsMatchLlamaCppInTheDeployedArithmetic(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(256, 2, 4, 2, 512, 512);
        StringBuilder table = new StringBuilder();
        java.util.List<String> failures = new java.util.ArrayList<>();
        // The Gemma and Phi-3 models have their own test below.
        for (TestModelFactory.Arch arch : new TestModelFactory.Arch[]{TestModelFactory.Arch.LLAMA, TestModelFactory.Arch.QWEN2,
                TestModelFactory.Arch.QWEN3}) {
            for (boolean tied : new boolean[]{false, true}) {
                for (FileType type : QUANTIZED) {
                    // The suite runs every type on untied Llama and two types on the other
                    // combinations (25 models); -Djdpo.parity.full=true runs all 90 (the README's table).
                    boolean full = Boolean.getBoolean("jdpo.parity.full");
                    if (!full && (arch != TestModelFactory.Arch.LLAMA || tied) && type != FileType.Q8_0 && type != FileType.Q4_K_M) continue;
                    // -Djdpo.parity.types=Q8_0,Q6_K limits the run to those types (while working on one).
                    String only = System.getProperty("jdpo.parity.types");
                    if (only != null && !java.util.Arrays.asList(only.split(",")).contains(type.name())) continue;
                    Path model = TestModelFactory.quantized(TestData.stories260K(), shape.with(arch, tied), 11, type, dir);
                    Path f32 = dir.resolve("deq-" + model.getFileName());
                    DequantizedCopy.write(model, f32);
                    ParityReport.ThreeWay three = ParityReport.againstCopy(model, f32, ParityReport.sampleText(), 128, 2);
                    java.nio.file.Files.delete(f32);
                    ParityReport r = three.javaVsLlama(), before = three.floatVsLlama(), exact = three.javaVsCopy();
                    table.append(String.format(Locale.ROOT, "%-6s %-6s %-7s %-9s %-9s %5.1f%% | %-9s %-9s %5.1f%% | %-9s %-9s%n",
                            arch, tied ? "tied" : "untied", type, sci(r.meanAbs()), sci(r.maxAbs()), 100 * r.top1Agreement(),
                            sci(before.meanAbs()), sci(before.maxAbs()), 100 * before.top1Agreement(), sci(exact.meanAbs()), sci(exact.maxAbs())));
                    String what = arch + (tied ? " tied " : " ") + type;
                    if (exact.meanAbs() > 1e-4 || exact.maxAbs() > 2e-3) failures.add(what + " float vs llama.cpp on the F32 copy: " + exact);
                    // The deployed arithmetic adds in the order of the ggml kernel llama.cpp runs for
                    // each type (GgmlOrder, GgmlQuantDot): train = deploy, mean 1e-4, max 2e-3, top-1
                    // 100%. Where ggml's order is not known here (not x86; Q2_K without AVX-512, whose
                    // AVX2 kernel is not reproduced) it still has to be closer than the float one.
                    boolean known = io.jdpo.tensor.GgmlOrder.LANES == 16 || io.jdpo.tensor.GgmlOrder.LANES == 8 && type != FileType.Q2_K;
                    if (known ? !(r.meanAbs() <= 1e-4 && r.maxAbs() <= 2e-3 && r.top1Agreement() == 1.0) : r.meanAbs() >= before.meanAbs()) {
                        failures.add(what + " deployed " + r + (known ? " beyond mean 1e-4 / max 2e-3 / top-1 100%" : " not closer than float " + before));
                    }
                }
            }
        }
        System.out.print("parity of generated models, |Δ log-prob| over " + "the parity text (mean, max, top-1 agreement):\n"
                + "                       deployed arithmetic vs       | float arithmetic vs          | float vs llama.cpp\n"
                + "                       llama.cpp on the file        | llama.cpp on the file        | on an F32 copy\n" + table);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * Quantized Gemma 2, Gemma 3 and Phi-3 (three of the types above, tied and untied): the
     * float arithmetic is exact on the file's weights (against llama.cpp on an F32 copy: Phi-3
     * within 1e-4, Gemma within 4e-4, twice llama.cpp's own F16-GELU floor measured at F32
     * above), and the deployed arithmetic is llama.cpp's (mean 1e-4, max 2e-3, top-1 100%; 0.00
     * on this machine) where ggml's order is known, else closer to it than the float one.
     */
    @Test
    void gemmaAndPhiQuantizedAreExactOnTheirWeights(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(256, 2, 4, 2, 512, 512);
        StringBuilder table = new StringBuilder();
        java.util.List<String> failures = new java.util.ArrayList<>();
        for (TestModelFactory.Arch arch : new TestModelFactory.Arch[]{TestModelFactory.Arch.GEMMA2, TestModelFactory.Arch.GEMMA3,
                TestModelFactory.Arch.PHI3}) {
            for (boolean tied : new boolean[]{false, true}) {
                if (!tied && arch.alwaysTied()) continue;
                for (FileType type : new FileType[]{FileType.Q8_0, FileType.Q4_K_M, FileType.Q6_K}) {
                    Path model = TestModelFactory.quantized(TestData.stories260K(), shape.with(arch, tied), 11, type, dir);
                    Path f32 = dir.resolve("deq-" + model.getFileName());
                    DequantizedCopy.write(model, f32);
                    ParityReport.ThreeWay three = ParityReport.againstCopy(model, f32, ParityReport.sampleText(), 128, 2);
                    ParityReport r = three.javaVsLlama(), exact = three.javaVsCopy(), own = three.copyVsLlama(), before = three.floatVsLlama();
                    table.append(String.format(Locale.ROOT, "%-6s %-6s %-7s %-9s %-9s | %-9s %-9s | %-9s %-9s | %-9s %-9s | %.1f%%%n",
                            arch, tied ? "tied" : "untied", type, sci(r.meanAbs()), sci(r.maxAbs()), sci(before.meanAbs()), sci(before.maxAbs()),
                            sci(exact.meanAbs()), sci(exact.maxAbs()), sci(own.meanAbs()), sci(own.maxAbs()), 100 * r.top1Agreement()));
                    String what = arch + (tied ? " tied " : " ") + type;
                    // Deployed = llama.cpp's arithmetic (the bounds) where ggml's order is known here.
                    boolean known = io.jdpo.tensor.GgmlOrder.LANES > 0;
                    if (known ? !(r.meanAbs() <= 1e-4 && r.maxAbs() <= 2e-3 && r.top1Agreement() == 1.0) : r.meanAbs() >= before.meanAbs()) {
                        failures.add(what + " deployed " + r + (known ? " beyond mean 1e-4 / max 2e-3 / top-1 100%" : " not closer than float " + before));
                    }
                    double bound = arch == TestModelFactory.Arch.PHI3 ? 1e-4 : 4e-4;
                    if (exact.maxAbs() > bound) failures.add(what + " against llama.cpp on the F32 copy: " + exact);
                    if (!tied && !(r.meanAbs() <= 0.02 && r.maxAbs() <= 0.15)) failures.add(what + ": " + r);
                }
            }
        }
        System.out.print("parity of generated Gemma/Phi-3 models, mean and max |Δ log-prob| over 1,059 tokens:\n"
                + "                       deployed Java vs    | float Java vs       | float Java vs       | llama.cpp: F32 copy | top-1\n"
                + "                       llama.cpp           | llama.cpp           | llama.cpp on F32 copy | vs quantized file | (deployed)\n" + table);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
