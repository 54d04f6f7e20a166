package io.jdpo.testing;

import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufValueType;
import io.jdpo.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes Llama-architecture GGUF models of any shape with seeded random weights and a
 * tokenizer copied from another GGUF, for tests and benchmarks that need a model of a given
 * size. Weights are F32 (quantize them through llama.cpp for other types).
 */
public final class TestModelFactory {
    /** Shape of a generated Llama. */
    public record Shape(int dim, int layers, int heads, int kvHeads, int ffn, int context) {
    }

    private TestModelFactory() {
    }

    public static Path writeLlama(Path tokenizerSource, Shape s, long seed, Path out) throws IOException {
        GgufWriter w = new GgufWriter();
        int vocab;
        try (GgufFile src = GgufFile.open(tokenizerSource)) {
            w.put("general.architecture", "llama");
            w.put("general.name", "jdpo-test-llama");
            w.put("llama.context_length", GgufValue.u32(s.context()));
            w.put("llama.embedding_length", GgufValue.u32(s.dim()));
            w.put("llama.block_count", GgufValue.u32(s.layers()));
            w.put("llama.feed_forward_length", GgufValue.u32(s.ffn()));
            w.put("llama.attention.head_count", GgufValue.u32(s.heads()));
            w.put("llama.attention.head_count_kv", GgufValue.u32(s.kvHeads()));
            w.put("llama.rope.dimension_count", GgufValue.u32(s.dim() / s.heads()));
            w.put("llama.rope.freq_base", GgufValue.f32(10000f));
            w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
            for (var e : src.metadata().entrySet()) {
                if (e.getKey().startsWith("tokenizer.")) w.put(e.getKey(), e.getValue());
            }
            GgufValue tokens = src.get("tokenizer.ggml.tokens");
            if (tokens == null || tokens.elementType() != GgufValueType.STRING) {
                throw new IOException(tokenizerSource + " has no tokenizer.ggml.tokens to copy");
            }
            vocab = tokens.asList().size();
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        int kv = s.dim() / s.heads() * s.kvHeads();
        w.addTensor("token_embd.weight", new long[]{s.dim(), vocab}, gaussian(rnd, (long) s.dim() * vocab, 1.0));
        w.addTensor("output_norm.weight", new long[]{s.dim()}, ones(s.dim()));
        w.addTensor("output.weight", new long[]{s.dim(), vocab}, gaussian(rnd, (long) s.dim() * vocab, 1 / Math.sqrt(s.dim())));
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", new long[]{s.dim()}, ones(s.dim()));
            w.addTensor(p + "attn_q.weight", new long[]{s.dim(), s.dim()}, gaussian(rnd, (long) s.dim() * s.dim(), 1 / Math.sqrt(s.dim())));
            w.addTensor(p + "attn_k.weight", new long[]{s.dim(), kv}, gaussian(rnd, (long) s.dim() * kv, 1 / Math.sqrt(s.dim())));
            w.addTensor(p + "attn_v.weight", new long[]{s.dim(), kv}, gaussian(rnd, (long) s.dim() * kv, 1 / Math.sqrt(s.dim())));
            w.addTensor(p + "attn_output.weight", new long[]{s.dim(), s.dim()}, gaussian(rnd, (long) s.dim() * s.dim(), 1 / Math.sqrt(s.dim())));
            w.addTensor(p + "ffn_norm.weight", new long[]{s.dim()}, ones(s.dim()));
            w.addTensor(p + "ffn_gate.weight", new long[]{s.dim(), s.ffn()}, gaussian(rnd, (long) s.dim() * s.ffn(), 1 / Math.sqrt(s.dim())));
            w.addTensor(p + "ffn_up.weight", new long[]{s.dim(), s.ffn()}, gaussian(rnd, (long) s.dim() * s.ffn(), 1 / Math.sqrt(s.dim())));
            w.addTensor(p + "ffn_down.weight", new long[]{s.ffn(), s.dim()}, gaussian(rnd, (long) s.ffn() * s.dim(), 1 / Math.sqrt(s.ffn())));
        }
        w.write(out);
        return out;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static float[] gaussian(SplittableRandom rnd, long n, double std) {
        float[] a = new float[Math.toIntExact(n)];
        // Box-Muller on a splittable generator: fast and reproducible for a given seed.
        for (int i = 0; i < a.length; i += 2) {
            double u1 = 1.0 - rnd.nextDouble(), u2 = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1)) * std;
            a[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < a.length) a[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
        }
        return a;
    }
}
