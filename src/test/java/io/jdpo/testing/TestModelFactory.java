package io.jdpo.testing;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufValueType;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.tensor.SegmentMath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes GGUF models of any shape with seeded random weights and a tokenizer copied from
 * another GGUF or a released model's real one ({@link RealTokenizer}): {@code llama}, {@code qwen2} (Q/K/V biases; NEOX rope by architecture),
 * {@code qwen3} (per-head Q/K RMS norms), {@code gemma2} (post-norms, soft caps, sliding
 * window on even layers, always tied), {@code gemma3} (post-norms, Q/K norms, sliding window
 * with its own rope base on all but every {@link #GEMMA3_PATTERN}th layer) and {@code phi3}
 * (fused attn_qkv and gate/up; with rope factors, short and long factor tensors and an
 * attention factor), with tied or separate output embeddings. The Gemma soft caps and window
 * are small ({@link #SLIDING_WINDOW} positions, caps {@link #ATTN_SOFTCAP} and
 * {@link #FINAL_SOFTCAP}) so that short test sequences exercise them. Weights are written as
 * F32; {@link #quantized} has llama.cpp quantize them.
 */
public final class TestModelFactory {
    public enum Arch { LLAMA, QWEN2, QWEN3, GEMMA2, GEMMA3, PHI3;

        /** Gemma 2 has no output tensor: llama.cpp always projects with the token embedding. */
        public boolean alwaysTied() {
            return this == GEMMA2;
        }
    }

    /** The sliding window of the generated Gemma models, in positions. */
    public static final int SLIDING_WINDOW = 16;
    /** Gemma 3's local/global period in the generated models: layer 1 of each pair is global. */
    public static final int GEMMA3_PATTERN = 2;
    public static final float ATTN_SOFTCAP = 4f;
    public static final float FINAL_SOFTCAP = 3f;

    /**
     * Shape of a generated model; {@code tied} shares token_embd as the output projection,
     * {@code ropeFactors} adds a Llama 3.1-style rope_freqs tensor.
     */
    public record Shape(int dim, int layers, int heads, int kvHeads, int ffn, int context, Arch arch, boolean tied,
                        boolean ropeFactors) {
        public Shape(int dim, int layers, int heads, int kvHeads, int ffn, int context) {
            this(dim, layers, heads, kvHeads, ffn, context, Arch.LLAMA, false, false);
        }

        public Shape(int dim, int layers, int heads, int kvHeads, int ffn, int context, Arch arch, boolean tied) {
            this(dim, layers, heads, kvHeads, ffn, context, arch, tied, false);
        }

        public Shape with(Arch a, boolean tiedOutput) {
            return new Shape(dim, layers, heads, kvHeads, ffn, context, a, tiedOutput, ropeFactors);
        }

        public Shape withRopeFactors() {
            return new Shape(dim, layers, heads, kvHeads, ffn, context, arch, tied, true);
        }

        public int headDim() {
            return dim / heads;
        }
    }

    private TestModelFactory() {
    }

    /** Same as {@link #write}; kept for callers that only make Llamas. */
    public static Path writeLlama(Path tokenizerSource, Shape s, long seed, Path out) throws IOException {
        return write(tokenizerSource, s, seed, out);
    }

    public static Path write(Path tokenizerSource, Shape s, long seed, Path out) throws IOException {
        Map<String, GgufValue> tokenizer = new LinkedHashMap<>();
        try (GgufFile src = GgufFile.open(tokenizerSource)) {
            for (var e : src.metadata().entrySet()) {
                // Detached: the values must outlive the file they are read from.
                if (e.getKey().startsWith("tokenizer.")) tokenizer.put(e.getKey(), e.getValue().detached());
            }
        }
        GgufValue tokens = tokenizer.get("tokenizer.ggml.tokens");
        if (tokens == null || tokens.elementType() != GgufValueType.STRING) {
            throw new IOException(tokenizerSource + " has no tokenizer.ggml.tokens to copy");
        }
        return write(tokenizer, s, seed, out);
    }

    /**
     * A model carrying a released model's real vocabulary and Jinja chat template (Llama 3.1,
     * Qwen3, Gemma 3), so llama.cpp tokenizes and renders as it would for that model.
     */
    public static Path write(RealTokenizer tokenizer, Shape s, long seed, Path out) throws IOException {
        return write(tokenizer.metadata(), s, seed, out);
    }

    /** The model with the given tokenizer.* metadata (its token list sets the vocabulary size), cached in {@code dir}. */
    public static Path cached(RealTokenizer tokenizer, Shape s, long seed, Path dir) throws IOException {
        Path f = dir.resolve(tokenizer.id() + "-" + s.arch() + "-" + s.dim() + "x" + s.layers() + (s.tied() ? "-tied" : "") + "-s" + seed + ".gguf");
        if (!Files.exists(f)) write(tokenizer, s, seed, f);
        return f;
    }

    private static Path write(Map<String, GgufValue> tokenizer, Shape s, long seed, Path out) throws IOException {
        String arch = s.arch().name().toLowerCase(java.util.Locale.ROOT);
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", arch);
        // Not "...phi3": llama.cpp's vocabulary loader gives models so named Phi-3's special-token
        // attributes, looking up tokens the copied tokenizer does not have.
        w.put("general.name", "jdpo-test-" + (s.arch() == Arch.PHI3 ? "p3" : arch));
        w.put(arch + ".context_length", GgufValue.u32(s.context()));
        w.put(arch + ".embedding_length", GgufValue.u32(s.dim()));
        w.put(arch + ".block_count", GgufValue.u32(s.layers()));
        w.put(arch + ".feed_forward_length", GgufValue.u32(s.ffn()));
        w.put(arch + ".attention.head_count", GgufValue.u32(s.heads()));
        w.put(arch + ".attention.head_count_kv", GgufValue.u32(s.kvHeads()));
        w.put(arch + ".rope.dimension_count", GgufValue.u32(s.headDim()));
        w.put(arch + ".rope.freq_base", GgufValue.f32(s.arch() == Arch.LLAMA || s.arch() == Arch.PHI3 ? 10000f : 1000000f));
        w.put(arch + ".attention.layer_norm_rms_epsilon", GgufValue.f32(1e-6f));
        switch (s.arch()) {
            case GEMMA2 -> {
                w.put(arch + ".attention.sliding_window", GgufValue.u32(SLIDING_WINDOW));
                w.put(arch + ".attn_logit_softcapping", GgufValue.f32(ATTN_SOFTCAP));
                w.put(arch + ".final_logit_softcapping", GgufValue.f32(FINAL_SOFTCAP));
            }
            case GEMMA3 -> {
                w.put(arch + ".attention.sliding_window", GgufValue.u32(SLIDING_WINDOW));
                w.put(arch + ".attention.sliding_window_pattern", GgufValue.u32(GEMMA3_PATTERN));
                w.put(arch + ".rope.freq_base_swa", GgufValue.f32(10000f));
                w.put(arch + ".final_logit_softcapping", GgufValue.f32(FINAL_SOFTCAP));
            }
            case PHI3 -> {
                if (s.ropeFactors()) {
                    w.put(arch + ".rope.scaling.attn_factor", GgufValue.f32(1.19f));
                    w.put(arch + ".rope.scaling.original_context_length", GgufValue.u32(s.context()));
                }
            }
            default -> {
            }
        }
        if (s.arch() == Arch.QWEN3 || s.arch() == Arch.GEMMA3) {
            w.put(arch + ".attention.key_length", GgufValue.u32(s.headDim()));
            w.put(arch + ".attention.value_length", GgufValue.u32(s.headDim()));
        }
        w.putAll(tokenizer);
        int vocab = tokenizer.get("tokenizer.ggml.tokens").asList().size();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = s.dim(), kv = s.headDim() * s.kvHeads(), hd = s.headDim();
        double wStd = 1 / Math.sqrt(d);
        // A tied embedding doubles as the output projection, so it gets the projection's scale.
        boolean tied = s.tied() || s.arch().alwaysTied();
        boolean gemma = s.arch() == Arch.GEMMA2 || s.arch() == Arch.GEMMA3, phi = s.arch() == Arch.PHI3;
        // Gemma multiplies the embedding by √d: its rows get the scale that makes that O(1).
        double embStd = tied || gemma ? wStd : 1.0;
        w.addTensor("token_embd.weight", new long[]{d, vocab}, gaussian(rnd, (long) d * vocab, embStd, 0));
        w.addTensor("output_norm.weight", new long[]{d}, gaussian(rnd, d, 0.1, 1));
        if (s.ropeFactors()) {
            // Llama 3.1 divides the rope frequencies by factors from 1 (fast) to 8 (slow);
            // Phi-3's long-context models carry a short and a long set.
            float[] f = new float[hd / 2];
            for (int i = 0; i < f.length; i++) f[i] = 1f + 7f * i / Math.max(1, f.length - 1);
            if (phi) {
                float[] shortF = new float[hd / 2];
                for (int i = 0; i < f.length; i++) shortF[i] = 1f + 0.5f * i / Math.max(1, f.length - 1);
                w.addTensor("rope_factors_long.weight", new long[]{hd / 2}, f);
                w.addTensor("rope_factors_short.weight", new long[]{hd / 2}, shortF);
            } else {
                w.addTensor("rope_freqs.weight", new long[]{hd / 2}, f);
            }
        }
        if (!tied) {
            w.addTensor("output.weight", new long[]{d, vocab}, gaussian(rnd, (long) d * vocab, wStd, 0));
        }
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", new long[]{d}, gaussian(rnd, d, 0.1, 1));
            if (phi) {
                w.addTensor(p + "attn_qkv.weight", new long[]{d, d + 2L * kv}, gaussian(rnd, (long) d * (d + 2L * kv), wStd, 0));
            } else {
                w.addTensor(p + "attn_q.weight", new long[]{d, d}, gaussian(rnd, (long) d * d, wStd, 0));
                w.addTensor(p + "attn_k.weight", new long[]{d, kv}, gaussian(rnd, (long) d * kv, wStd, 0));
                w.addTensor(p + "attn_v.weight", new long[]{d, kv}, gaussian(rnd, (long) d * kv, wStd, 0));
            }
            if (s.arch() == Arch.QWEN2) {
                w.addTensor(p + "attn_q.bias", new long[]{d}, gaussian(rnd, d, 0.1, 0));
                w.addTensor(p + "attn_k.bias", new long[]{kv}, gaussian(rnd, kv, 0.1, 0));
                w.addTensor(p + "attn_v.bias", new long[]{kv}, gaussian(rnd, kv, 0.1, 0));
            }
            if (s.arch() == Arch.QWEN3 || s.arch() == Arch.GEMMA3) {
                w.addTensor(p + "attn_q_norm.weight", new long[]{hd}, gaussian(rnd, hd, 0.1, 1));
                w.addTensor(p + "attn_k_norm.weight", new long[]{hd}, gaussian(rnd, hd, 0.1, 1));
            }
            w.addTensor(p + "attn_output.weight", new long[]{d, d}, gaussian(rnd, (long) d * d, wStd, 0));
            // Gemma's norm weights as GGUF stores them: 1 + the checkpoint's weight.
            if (gemma) w.addTensor(p + "post_attention_norm.weight", new long[]{d}, gaussian(rnd, d, 0.1, 1));
            w.addTensor(p + "ffn_norm.weight", new long[]{d}, gaussian(rnd, d, 0.1, 1));
            if (phi) {
                w.addTensor(p + "ffn_up.weight", new long[]{d, 2L * s.ffn()}, gaussian(rnd, (long) d * 2 * s.ffn(), wStd, 0));
            } else {
                w.addTensor(p + "ffn_gate.weight", new long[]{d, s.ffn()}, gaussian(rnd, (long) d * s.ffn(), wStd, 0));
                w.addTensor(p + "ffn_up.weight", new long[]{d, s.ffn()}, gaussian(rnd, (long) d * s.ffn(), wStd, 0));
            }
            w.addTensor(p + "ffn_down.weight", new long[]{s.ffn(), d}, gaussian(rnd, (long) s.ffn() * d, 1 / Math.sqrt(s.ffn()), 0));
            if (gemma) w.addTensor(p + "post_ffw_norm.weight", new long[]{d}, gaussian(rnd, d, 0.1, 1));
        }
        w.write(out);
        return out;
    }

    /** The model written at F32 and quantized by llama.cpp to {@code type} (cached in {@code dir}). */
    public static Path quantized(Path tokenizerSource, Shape s, long seed, FileType type, Path dir) throws IOException {
        String base = s.arch() + "-" + s.dim() + "x" + s.layers() + (s.tied() || s.arch().alwaysTied() ? "-tied" : "") + (s.ropeFactors() ? "-rf" : "") + "-s" + seed;
        Path f32 = dir.resolve(base + ".F32.gguf");
        if (!Files.exists(f32)) write(tokenizerSource, s, seed, f32);
        if (type == FileType.F32) return f32;
        Path q = dir.resolve(base + "." + type + ".gguf");
        if (!Files.exists(q)) ModelQuantizer.quantize(f32, q, type, Runtime.getRuntime().availableProcessors());
        return q;
    }

    /**
     * A copy of {@code model} whose F32 vectors (the norm weights, biases) are each moved by
     * one float ulp, up and down in turn: a change at the level of float rounding, to measure
     * how far llama.cpp's own log-probs move under it.
     */
    public static Path nudgedVectors(Path model, Path out) throws IOException {
        try (GgufFile f = GgufFile.open(model)) {
            GgufWriter w = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) {
                if (t.type() == GgmlType.F32 && t.ne().length == 1) {
                    float[] v = SegmentMath.toArray(f.data(t));
                    for (int i = 0; i < v.length; i++) v[i] = i % 2 == 0 ? Math.nextUp(v[i]) : Math.nextDown(v[i]);
                    w.addTensor(t.name(), t.ne(), v);
                } else {
                    w.addTensor(t.name(), t.type(), t.ne(), f.data(t));
                }
            }
            w.write(out);
        }
        return out;
    }

    private static float[] gaussian(SplittableRandom rnd, long n, double std, double mean) {
        float[] a = new float[Math.toIntExact(n)];
        // Box-Muller on a splittable generator: fast and reproducible for a given seed.
        for (int i = 0; i < a.length; i += 2) {
            double u1 = 1.0 - rnd.nextDouble(), u2 = rnd.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1)) * std;
            a[i] = (float) (mean + r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < a.length) a[i + 1] = (float) (mean + r * Math.sin(2 * Math.PI * u2));
        }
        return a;
    }
}
