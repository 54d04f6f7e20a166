package io.jdpo.demo;

import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A fresh Llama in GGUF (F32, tied input/output embedding) with a given vocabulary, its
 * weights drawn from a seed: the starting point of pretraining. Projections are
 * N(0, 1/n_in); the output projections of each block (attn_output, ffn_down) are further
 * scaled by 1/√(2·layers) so the residual stream starts near unit size.
 */
public final class LlamaInit {
    /**
     * The new model's size.
     *
     * @param dim     the embedding width d, a multiple of heads (Q is d wide)
     * @param layers  decoder blocks
     * @param heads   query heads; head size is dim / heads
     * @param kvHeads key/value heads, dividing heads
     * @param ffn     the MLP's hidden width
     * @param context the context length written to the metadata, in tokens
     */
    public record Shape(int dim, int layers, int heads, int kvHeads, int ffn, int context) {
        int headDim() {
            return dim / heads;
        }
    }

    private LlamaInit() {
    }

    /**
     * Writes the model: weights drawn from the seed, norm weights all 1.
     *
     * @param out   the GGUF file to write (atomically; replaced if it exists)
     * @param s     the model's size
     * @param vocab its vocabulary, written as the tokenizer.* metadata
     * @param name  {@code general.name}
     * @param seed  the seed of the weights: the same seed writes the same file
     * @throws IOException if the file cannot be written
     */
    public static void write(Path out, Shape s, SpmVocabulary vocab, String name, long seed) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", "llama");
        w.put("general.name", name);
        w.put("llama.context_length", GgufValue.u32(s.context()));
        w.put("llama.embedding_length", GgufValue.u32(s.dim()));
        w.put("llama.block_count", GgufValue.u32(s.layers()));
        w.put("llama.feed_forward_length", GgufValue.u32(s.ffn()));
        w.put("llama.attention.head_count", GgufValue.u32(s.heads()));
        w.put("llama.attention.head_count_kv", GgufValue.u32(s.kvHeads()));
        w.put("llama.rope.dimension_count", GgufValue.u32(s.headDim()));
        w.put("llama.rope.freq_base", GgufValue.f32(10000f));
        w.put("llama.attention.layer_norm_rms_epsilon", GgufValue.f32(1e-5f));
        vocab.putInto(w);
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = s.dim(), kv = s.headDim() * s.kvHeads(), V = vocab.size();
        double std = 1 / Math.sqrt(d), resid = 1 / Math.sqrt(2.0 * s.layers());
        w.addTensor("token_embd.weight", new long[]{d, V}, gaussian(rnd, (long) d * V, std, 0));
        w.addTensor("output_norm.weight", new long[]{d}, gaussian(rnd, d, 0, 1));
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", new long[]{d}, gaussian(rnd, d, 0, 1));
            w.addTensor(p + "attn_q.weight", new long[]{d, d}, gaussian(rnd, (long) d * d, std, 0));
            w.addTensor(p + "attn_k.weight", new long[]{d, kv}, gaussian(rnd, (long) d * kv, std, 0));
            w.addTensor(p + "attn_v.weight", new long[]{d, kv}, gaussian(rnd, (long) d * kv, std, 0));
            w.addTensor(p + "attn_output.weight", new long[]{d, d}, gaussian(rnd, (long) d * d, std * resid, 0));
            w.addTensor(p + "ffn_norm.weight", new long[]{d}, gaussian(rnd, d, 0, 1));
            w.addTensor(p + "ffn_gate.weight", new long[]{d, s.ffn()}, gaussian(rnd, (long) d * s.ffn(), std, 0));
            w.addTensor(p + "ffn_up.weight", new long[]{d, s.ffn()}, gaussian(rnd, (long) d * s.ffn(), std, 0));
            w.addTensor(p + "ffn_down.weight", new long[]{s.ffn(), d}, gaussian(rnd, (long) s.ffn() * d, resid / Math.sqrt(s.ffn()), 0));
        }
        w.write(out);
    }

    private static float[] gaussian(SplittableRandom r, long n, double std, double mean) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            double u1 = r.nextDouble(), u2 = r.nextDouble();
            v[i] = (float) (mean + std * Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }
}
