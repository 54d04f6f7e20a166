package io.jdpo.export;

import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.ImportanceMatrix;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LlamaRuntime;
import io.jdpo.model.ImportanceCollector;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.Dequantizer;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The importance matrix from the Java forward: layer 0's attn_q entry recomputed by hand from
 * the GGUF's own tensors (the RMS-normalised token embeddings), the file read back, and both
 * file forms read by llama.cpp's llama-quantize, whose output changes with them.
 */
class ImportanceMatrixTest {
    @Test
    void collectedFromTheForwardAndReadByLlamaQuantize(@TempDir Path dir) throws Exception {
        Path model = TestData.stories260K();
        List<int[]> seqs = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(model)) {
            for (String s : List.of("Once upon a time, there was a dog.", "The girl went to the park and saw a big tree.",
                    "Tom and Mia played with the ball all day long."))
                seqs.add(m.tokenizer().tokenize(s, true, false));
        }
        ImportanceMatrix im;
        try (Transformer tf = Transformer.load(model, 2)) {
            ImportanceCollector c = new ImportanceCollector(tf);
            for (int[] s : seqs) c.addSequence(s);
            im = c.result("three stories");
        }
        assertEquals(35, im.entries().size(), "5 layers x 7 projections");

        // Layer 0's Q/K/V input is rmsnorm(embedding) * attn_norm: recompute it from the file.
        try (GgufFile f = GgufFile.open(model)) {
            float[] emb = Dequantizer.dequantize(f, f.tensor("token_embd.weight")), norm = Dequantizer.dequantize(f, f.tensor("blk.0.attn_norm.weight"));
            int dim = norm.length;
            float eps = (float) f.get("llama.attention.layer_norm_rms_epsilon").asDouble();
            double[] sums = new double[dim];
            long tokens = 0;
            for (int[] s : seqs) {
                for (int tok : s) {
                    double ss = 0;
                    for (int i = 0; i < dim; i++) ss += (double) emb[tok * dim + i] * emb[tok * dim + i];
                    double inv = 1 / Math.sqrt(ss / dim + eps);
                    for (int i = 0; i < dim; i++) {
                        double h = emb[tok * dim + i] * inv * norm[i];
                        sums[i] += h * h;
                    }
                    tokens++;
                }
            }
            ImportanceMatrix.Entry q = im.entries().get("blk.0.attn_q.weight");
            assertEquals(tokens, q.count());
            for (int i = 0; i < dim; i++) assertEquals(sums[i], q.sumSquares()[i], 1e-4 * sums[i] + 1e-9, "column " + i);
            assertArrayEquals(q.sumSquares(), im.entries().get("blk.0.attn_v.weight").sumSquares(), "Q, K and V share their input");
        }

        Path gguf = dir.resolve("imatrix.gguf"), dat = dir.resolve("imatrix.dat");
        im.write(gguf);
        im.write(dat);
        ImportanceMatrix back = ImportanceMatrix.read(gguf);
        assertEquals(im.entries().keySet(), back.entries().keySet());
        for (var e : im.entries().entrySet()) {
            float[] a = e.getValue().meanSquares(), b = back.weights(e.getKey());
            assertEquals(a.length, b.length, e.getKey());
            // Sums are written as F32 and divided again on reading: equal to float rounding.
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6f * Math.abs(a[i]) + 1e-12f, e.getKey() + " column " + i);
        }

        Path tool = LlamaRuntime.get().tool("llama-quantize").orElseThrow(() -> new AssertionError("llama-quantize missing"));
        byte[] plain = quantize(tool, model, dir.resolve("plain.gguf"));
        for (Path file : List.of(gguf, dat)) {
            Path out = dir.resolve("with-" + file.getFileName() + ".gguf");
            String log = run(tool, List.of("--imatrix", file.toString(), model.toString(), out.toString(), "Q4_K_M", "2"));
            assertTrue(log.contains("loaded 35 importance matrix entries"), log);
            byte[] with = attnQ(out);
            assertFalse(java.util.Arrays.equals(plain, with), file.getFileName() + ": the importance matrix changes llama-quantize's rounding");
        }
    }

    private static byte[] quantize(Path tool, Path model, Path out) throws Exception {
        run(tool, List.of(model.toString(), out.toString(), "Q4_K_M", "2"));
        return attnQ(out);
    }

    private static byte[] attnQ(Path file) throws Exception {
        try (GgufFile f = GgufFile.open(file)) {
            return f.data(f.tensor("blk.0.attn_q.weight")).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    private static String run(Path tool, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), log);
        return log;
    }
}
