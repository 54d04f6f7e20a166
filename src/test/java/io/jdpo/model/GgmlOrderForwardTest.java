package io.jdpo.model;

import io.jdpo.tensor.GgmlOrder;
import io.jdpo.testing.LlamaTap;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployed arithmetic on F32 weights step by step against llama.cpp's own intermediate
 * tensors (read through its eval callback, {@link LlamaTap}): the real stories260K, every
 * layer's norm, rotated Q and K, V, attention output, residual, FFN norm, gate, up and SwiGLU
 * equal bit for bit. Where a whole-model difference appears, this says at which step.
 */
class GgmlOrderForwardTest {
    @Test
    void everyStepOfStories260KEqualsLlamaCppBitForBit() throws Exception {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's summation order is known only for x86 builds (AVX2, AVX-512)");
        Path model = TestData.stories260K();
        int n = 40;
        int[] tokens = new int[n];
        tokens[0] = 1;
        for (int i = 1; i < n; i++) tokens[i] = 20 + (i * 37) % 400;
        Map<String, List<LlamaTap.Tensor>> ll = LlamaTap.run(model, tokens, 2);
        List<String> differ = new ArrayList<>();
        int compared = 0;
        try (Transformer tr = Transformer.load(model, 2)) {
            ForwardPass fp = tr.forward(tokens, 1, false);
            // The last layer's FFN runs in llama.cpp for the last token only (the batch asks for one output).
            int L = tr.config().layers();
            for (int l = 0; l < L; l++) {
                LayerActivations a = fp.layers[l];
                // Q and K are captured three times (projected, reshaped, rotated): the rotated ones are the Java forward's.
                compared += compare("attn_norm-" + l, last(ll, "attn_norm-" + l), a.h1, differ);
                compared += compare("Qcur-" + l, last(ll, "Qcur-" + l), a.q, differ);
                compared += compare("Kcur-" + l, last(ll, "Kcur-" + l), a.k, differ);
                compared += compare("Vcur-" + l, last(ll, "Vcur-" + l), a.v, differ);
                compared += compare("kqv_out-" + l, last(ll, "kqv_out-" + l), a.att, differ);
                if (l == L - 1) continue;
                compared += compare("ffn_inp-" + l, last(ll, "ffn_inp-" + l), a.xMid, differ);
                compared += compare("ffn_norm-" + l, last(ll, "ffn_norm-" + l), a.h2, differ);
                compared += compare("ffn_gate-" + l, last(ll, "ffn_gate-" + l), a.g, differ);
                compared += compare("ffn_up-" + l, last(ll, "ffn_up-" + l), a.u, differ);
                compared += compare("ffn_swiglu-" + l, last(ll, "ffn_swiglu-" + l), a.act, differ);
            }
        }
        System.out.println("ggml order: " + compared + " values of stories260K's intermediates compared with llama.cpp's, "
                + differ.size() + " tensors differ" + (differ.isEmpty() ? "" : ": " + differ));
        assertTrue(compared > 100_000 && differ.isEmpty(), String.join("\n", differ));
    }

    @Test
    void probeQuantized(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String typeName = System.getProperty("probe.type");
        Assumptions.assumeTrue(typeName != null);
        var shape = new io.jdpo.testing.TestModelFactory.Shape(256, 2, 4, 2, 512, 512);
        Path model = io.jdpo.testing.TestModelFactory.quantized(TestData.stories260K(), shape.with(io.jdpo.testing.TestModelFactory.Arch.LLAMA, false), 11,
                io.jdpo.llama.FileType.valueOf(typeName), dir);
        int n = Integer.getInteger("probe.n", 40);
        int[] tokens = new int[n];
        tokens[0] = 1;
        for (int i = 1; i < n; i++) tokens[i] = 20 + (i * 37) % 400;
        Map<String, List<LlamaTap.Tensor>> ll = LlamaTap.run(model, tokens, 2);
        List<String> differ = new ArrayList<>();
        try (Transformer tr = Transformer.load(model, 2)) {
            var wf = Transformer.class.getDeclaredField("weights");
            wf.setAccessible(true);
            ModelWeights mw = (ModelWeights) wf.get(tr);
            for (LayerWeights lw : mw.layers) System.out.println("types " + lw.wq().type() + " " + lw.wk().type() + " " + lw.wv().type() + " " + lw.wo().type() + " " + lw.gate().type() + " " + lw.up().type() + " " + lw.down().type());
            ForwardPass fp = tr.forward(tokens, 1, false);
            for (int l = 0; l < tr.config().layers(); l++) {
                LayerActivations a = fp.layers[l];
                compare("attn_norm-" + l, last(ll, "attn_norm-" + l), a.h1, differ);
                float[] q0 = ll.get("Qcur-" + l).get(0).values();
                float[] mine = new float[q0.length];
                mw.layers.get(l).wq().matmul(last(ll, "attn_norm-" + l), n, mine, io.jdpo.tensor.Parallel.SERIAL);
                compare("Qcur(proj from llama input)-" + l, q0, mine, differ);
                float[] v0 = ll.get("Vcur-" + l).get(0).values();
                float[] mv = new float[v0.length];
                mw.layers.get(l).wv().matmul(last(ll, "attn_norm-" + l), n, mv, io.jdpo.tensor.Parallel.SERIAL);
                compare("Vcur(proj from llama input)-" + l, v0, mv, differ);
                if (l == tr.config().layers() - 1) continue;
                float[] g0 = last(ll, "ffn_gate-" + l);
                float[] mg = new float[g0.length];
                mw.layers.get(l).gate().matmul(last(ll, "ffn_norm-" + l), n, mg, io.jdpo.tensor.Parallel.SERIAL);
                compare("gate(from llama input)-" + l, g0, mg, differ);
                if (l == 0) {
                    float[] d0 = last(ll, "ffn_out-" + l);
                    float[] md = new float[d0.length];
                    mw.layers.get(l).down().matmul(last(ll, "ffn_swiglu-" + l), n, md, io.jdpo.tensor.Parallel.SERIAL);
                    compare("down(from llama input)-" + l, d0, md, differ);
                }
            }
        }
        differ.forEach(d -> System.out.println("DIFF " + d));
    }

    private static float[] last(Map<String, List<LlamaTap.Tensor>> ll, String name) {
        List<LlamaTap.Tensor> t = ll.get(name);
        if (t == null) throw new AssertionError("llama.cpp computed no tensor named " + name + " (have " + ll.keySet() + ")");
        return t.get(t.size() - 1).values();
    }

    private static int compare(String name, float[] theirs, float[] mine, List<String> differ) {
        int n = theirs.length, bad = 0, first = -1;
        if (mine.length != n) {
            differ.add(name + ": " + n + " values in llama.cpp, " + mine.length + " in Java");
            return 0;
        }
        for (int i = 0; i < n; i++) {
            if (Float.floatToIntBits(theirs[i]) != Float.floatToIntBits(mine[i])) {
                if (first < 0) first = i;
                bad++;
            }
        }
        if (bad > 0) differ.add(name + ": " + bad + " of " + n + " differ, first at " + first + " (" + theirs[first] + " vs " + mine[first] + ")");
        return n;
    }
}
