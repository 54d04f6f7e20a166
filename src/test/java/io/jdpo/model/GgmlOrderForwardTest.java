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
                LayerActivations a = fp.layer(l);
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

    /**
     * The quantized products on llama.cpp's own inputs: a generated Llama quantized to each
     * type, every layer's Q and V projections (and the first layer's gate and down) computed by
     * the Java forward from llama.cpp's normed activations equal llama.cpp's outputs bit for bit,
     * over 40 tokens (repack.cpp's gemm) and 35 (its gemv for the last three).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = io.jdpo.llama.FileType.class,
            names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS", "BF16"})
    void quantizedProductsEqualLlamaCppOnItsInputs(io.jdpo.llama.FileType type, @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(GgmlOrder.LANES > 0, "ggml's summation order is known only for x86 builds (AVX2, AVX-512)");
        var shape = new io.jdpo.testing.TestModelFactory.Shape(256, 2, 4, 2, 512, 512);
        Path model = io.jdpo.testing.TestModelFactory.quantized(TestData.stories260K(), shape.with(io.jdpo.testing.TestModelFactory.Arch.LLAMA, false), 11,
                type, dir);
        List<String> differ = new ArrayList<>();
        int compared = 0;
        for (int n : new int[]{40, 35}) {
            int[] tokens = new int[n];
            tokens[0] = 1;
            for (int i = 1; i < n; i++) tokens[i] = 20 + (i * 37) % 400;
            Map<String, List<LlamaTap.Tensor>> ll = LlamaTap.run(model, tokens, 2);
            try (Transformer tr = Transformer.load(model, 2)) {
                var wf = Transformer.class.getDeclaredField("weights");
                wf.setAccessible(true);
                ModelWeights mw = (ModelWeights) wf.get(tr);
                for (int l = 0; l < tr.config().layers(); l++) {
                    LayerWeights lw = mw.layers.get(l);
                    float[] in = last(ll, "attn_norm-" + l);
                    compared += compare(n + " tokens, Q-" + l + " (" + lw.wq().type() + ")", ll.get("Qcur-" + l).get(0).values(), product(lw.wq(), in, n), differ);
                    compared += compare(n + " tokens, V-" + l + " (" + lw.wv().type() + ")", ll.get("Vcur-" + l).get(0).values(), product(lw.wv(), in, n), differ);
                }
                LayerWeights l0 = mw.layers.get(0);
                compared += compare(n + " tokens, gate-0 (" + l0.gate().type() + ")", last(ll, "ffn_gate-0"), product(l0.gate(), last(ll, "ffn_norm-0"), n), differ);
                compared += compare(n + " tokens, down-0 (" + l0.down().type() + ")", last(ll, "ffn_out-0"), product(l0.down(), last(ll, "ffn_swiglu-0"), n), differ);
            }
        }
        System.out.println("ggml order, " + type + ": " + compared + " product outputs compared with llama.cpp's, " + differ.size() + " differ");
        assertTrue(compared > 50_000 && differ.isEmpty(), String.join("\n", differ));
    }

    private static float[] product(io.jdpo.tensor.QuantMatrix w, float[] x, int tokens) {
        float[] y = new float[tokens * w.rows()];
        w.matmul(x, tokens, y, io.jdpo.tensor.Parallel.SERIAL);
        return y;
    }

    private static float[] last(Map<String, List<LlamaTap.Tensor>> ll, String name) {
        List<LlamaTap.Tensor> t = ll.get(name);
        if (t == null) throw new AssertionError("llama.cpp computed no tensor named " + name + " (have " + ll.keySet() + ")");
        return t.get(t.size() - 1).values();
    }

    private static int compare(String name, float[] theirs, float[] mine, List<String> differ) {
        int n = theirs.length, bad = 0, first = -1;
        // The Java arrays may hold more rows than the pass (kept activations are made for 64-row multiples).
        if (mine.length < n) {
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
