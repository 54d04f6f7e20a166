package io.jdpo.model;

import io.jdpo.tensor.GgmlOrder;
import io.jdpo.tensor.PackedGemm;
import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.VectorMath;

/**
 * Multi-head attention with grouped KV heads over a whole packed sequence (no KV cache), as
 * dense products on the packed kernels of {@link PackedGemm}. Queries go in blocks within a
 * {@link Layout} segment; a block's rows see two key ranges, the shared prefix [0, shared)
 * and their own segment up to the block's end, laid side by side as the columns of one score
 * block. For a plain causal sequence the prefix is empty and this is ordinary blocked causal
 * attention.
 * <p>
 * Two Gemma options per layer: a sliding window (a query at rope position p sees only keys at
 * positions above p − window, llama.cpp's LLAMA_SWA_TYPE_STANDARD; positions, not rows,
 * decide, so a packed pair's rejected completion sees exactly the window it would see in its
 * own sequence) and soft-capping of the scaled logits, cap·tanh(z/cap), before the softmax.
 */
final class Attention {
    /** Queries per block: the keys a block sees end at its last query. */
    private static final int BLOCK = 64;

    private Attention() {
    }

    /**
     * One block of queries [t0, t1) and the key rows it reads: prefix rows [prefixFrom,
     * shared) and its own segment's rows [ownFrom, t1). Without a window these are the whole
     * prefix and the segment from its start; with one, the rows every query of the block is
     * past (rope position at or below the first query's minus the window) are left out, so a
     * sliding-window layer costs the window, not the sequence. Their scores would be masked
     * to exact zeros anyway: leaving them out changes no result.
     */
    private record Block(int t0, int t1, int prefixFrom, int shared, int ownFrom) {
        /** Prefix columns of the score block. */
        int prefixRows() {
            return shared - prefixFrom;
        }

        /** Own-segment columns of the score block. */
        int ownRows() {
            return t1 - ownFrom;
        }

        int width() {
            return prefixRows() + ownRows();
        }

        /** Columns row r of the block may see: the prefix and its segment up to itself. */
        int visible(int r) {
            return prefixRows() + t0 + r - ownFrom + 1;
        }

        /** The sequence row (key) that column c stands for. */
        int key(int c) {
            return c < prefixRows() ? prefixFrom + c : ownFrom + c - prefixRows();
        }
    }

    /**
     * What a layer's scores go through besides the causal mask: a sliding window (0 = none) and
     * a soft cap (0 = none); whether llama.cpp scales the queries before the product (Gemma,
     * Phi-3) rather than the scores in its softmax (Llama, Qwen), which changes float results
     * only; and whether to add in ggml's order ({@link #forwardInGgmlOrder}).
     */
    record Options(float scale, int window, float cap, boolean scalesQueries, boolean ggmlOrder) {
        Options(float scale, int window, float cap) {
            this(scale, window, cap, false, false);
        }
    }

    private static java.util.List<Block> blocks(Layout layout, int window) {
        java.util.List<Block> out = new java.util.ArrayList<>();
        int[] pos = layout.positions;
        for (int[] s : layout.segments) {
            for (int t0 = s[0]; t0 < s[1]; t0 += BLOCK) {
                int prefixFrom = 0, ownFrom = s[0];
                if (window > 0) {
                    // Positions rise within the prefix and within a segment, and the block's first query has the lowest.
                    int oldest = pos[t0] - window;
                    while (prefixFrom < s[2] && pos[prefixFrom] <= oldest) prefixFrom++;
                    while (ownFrom < t0 && pos[ownFrom] <= oldest) ownFrom++;
                }
                out.add(new Block(t0, Math.min(s[1], t0 + BLOCK), prefixFrom, s[2], ownFrom));
            }
        }
        return out;
    }

    /** out[t][h] = Σ_{s visible from t} softmax_s(scale · q[t][h]·k[s][g]) v[s][g], g the KV head of query head h. */
    static void forward(float[] q, float[] k, float[] v, float[] out, Layout layout, ModelConfig cfg, Parallel par, Options opt) {
        if (opt.ggmlOrder() && GgmlOrder.LANES > 0) {
            GgmlAttention.forward(q, k, v, out, layout, cfg, par, opt);
            return;
        }
        int heads = cfg.heads(), hd = cfg.headDim(), group = heads / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim(), T = layout.length();
        java.util.List<Block> blocks = blocks(layout, opt.window());
        par.forRange(heads, 1, (h0, h1) -> {
            float[] p = new float[BLOCK * T], kT = new float[hd * T];
            for (int h = h0; h < h1; h++) {
                int g = h / group;
                if (h == h0 || h % group == 0) headColumns(k, T, kvd, g * hd, hd, kT);
                for (Block b : blocks) {
                    int n = b.t1 - b.t0, w = b.width(), qo = b.t0 * qd + h * hd;
                    scores(q, qo, qd, n, kT, T, hd, b, p);
                    for (int r = 0; r < n; r++) softmax(p, null, r * w, b, r, w, layout.positions, opt);
                    // out = P[:, prefix]·V[prefix] + P[:, own]·V[own]
                    boolean acc = false;
                    if (b.prefixRows() > 0) {
                        PackedGemm.ab(p, 0, w, n, v, b.prefixFrom * kvd + g * hd, kvd, b.prefixRows(), hd, out, qo, qd, false);
                        acc = true;
                    }
                    PackedGemm.ab(p, b.prefixRows(), w, n, v, b.ownFrom * kvd + g * hd, kvd, b.ownRows(), hd, out, qo, qd, acc);
                }
            }
        });
    }

    /**
     * p (n × width) = rows of x (queries or output gradients) against the block's key-side rows,
     * both ranges, from yT: one KV head's keys or values transposed (hd × T, {@link #headColumns}).
     * On the transposed rows a strip of B is a copy of whole runs; on the rows themselves it was
     * gathered value by value, for every head of the group and every block again.
     */
    private static void scores(float[] x, int xo, int ldx, int n, float[] yT, int T, int hd, Block b, float[] p) {
        int w = b.width();
        if (b.prefixRows() > 0) PackedGemm.ab(x, xo, ldx, n, yT, b.prefixFrom, T, hd, b.prefixRows(), p, 0, w, false);
        PackedGemm.ab(x, xo, ldx, n, yT, b.ownFrom, T, hd, b.ownRows(), p, b.prefixRows(), w, false);
    }

    /** out (hd × T) = columns [off, off + hd) of m (T rows, ld apart) transposed: one KV head's keys or values. */
    private static void headColumns(float[] m, int T, int ld, int off, int hd, float[] out) {
        for (int t = 0; t < T; t++) {
            for (int d = 0; d < hd; d++) out[d * T + t] = m[t * ld + off + d];
        }
    }

    /**
     * The backward of {@link #forward}: given dOut, sets dq and accumulates dk and dv. Per head
     * and block of queries, P is recomputed from Q and K (never stored across the pass); then
     * dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP))·scale, dQ = dS·K, dK += dSᵀ·Q,
     * each over both key ranges. Threads own KV heads, so the heads of a group add into
     * their shared dK/dV in a fixed order.
     */
    static void backward(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                         Layout layout, ModelConfig cfg, Parallel par, Options opt) {
        int hd = cfg.headDim(), group = cfg.heads() / cfg.kvHeads();
        int qd = cfg.qDim(), kvd = cfg.kvDim(), T = layout.length();
        float scale = opt.scale();
        java.util.List<Block> blocks = blocks(layout, opt.window());
        par.forRange(cfg.kvHeads(), 1, (g0, g1) -> {
            float[] p = new float[BLOCK * T], ds = new float[BLOCK * T];
            float[] kT = new float[hd * T], vT = new float[hd * T];
            float[] slope = opt.cap() > 0 ? new float[BLOCK * T] : null;
            for (int g = g0; g < g1; g++) {
                headColumns(k, T, kvd, g * hd, hd, kT);
                headColumns(v, T, kvd, g * hd, hd, vT);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (Block b : blocks) {
                        int n = b.t1 - b.t0, w = b.width(), qo = b.t0 * qd + h * hd;
                        scores(q, qo, qd, n, kT, T, hd, b, p);
                        for (int r = 0; r < n; r++) softmax(p, slope, r * w, b, r, w, layout.positions, opt);
                        scores(dOut, qo, qd, n, vT, T, hd, b, ds);
                        for (int r = 0; r < n; r++) {
                            int o = r * w, visible = b.visible(r);
                            float fd = (float) VectorMath.dot(p, ds, o, visible);
                            for (int s = 0; s < visible; s++) ds[o + s] = p[o + s] * (ds[o + s] - fd) * scale;
                            if (slope != null) for (int s = 0; s < visible; s++) ds[o + s] *= slope[o + s];
                            for (int s = visible; s < w; s++) ds[o + s] = 0;
                        }
                        // dQ = dS·K over both ranges.
                        boolean acc = false;
                        if (b.prefixRows() > 0) {
                            PackedGemm.ab(ds, 0, w, n, k, b.prefixFrom * kvd + g * hd, kvd, b.prefixRows(), hd, dq, qo, qd, false);
                            acc = true;
                        }
                        PackedGemm.ab(ds, b.prefixRows(), w, n, k, b.ownFrom * kvd + g * hd, kvd, b.ownRows(), hd, dq, qo, qd, acc);
                        // dK += dSᵀ·Q and dV += Pᵀ·dO: the score block's columns are key rows, prefix first.
                        keyRows(ds, w, q, qo, qd, n, hd, dk, g * hd, kvd, b);
                        keyRows(p, w, dOut, qo, qd, n, hd, dv, g * hd, kvd, b);
                    }
                }
            }
        });
    }

    /** Adds sᵀ · x into the key-side rows the block's columns stand for: s the score block (n rows, w apart), x its n query rows. */
    private static void keyRows(float[] s, int w, float[] x, int xo, int ldx, int n, int hd, float[] d, int dOff, int ldd, Block b) {
        if (b.prefixRows() > 0) PackedGemm.aTb(s, 0, w, b.prefixRows(), x, xo, ldx, n, hd, d, b.prefixFrom * ldd + dOff, ldd, true);
        PackedGemm.aTb(s, b.prefixRows(), w, b.ownRows(), x, xo, ldx, n, hd, d, b.ownFrom * ldd + dOff, ldd, true);
    }

    /**
     * Row r of a score block in place: z = scale·p, capped to cap·tanh(z/cap) when capping
     * (the cap's slope 1 − tanh² kept in {@code slope} for the backward), masked outside the
     * causal range and the window, then softmax; zeros for every masked column up to width.
     */
    private static void softmax(float[] p, float[] slope, int off, Block b, int r, int width, int[] pos, Options opt) {
        int visible = b.visible(r), window = opt.window();
        float scale = opt.scale(), cap = opt.cap(), inv = cap > 0 ? 1f / cap : 0;
        int qPos = pos[b.t0 + r];
        float max = Float.NEGATIVE_INFINITY;
        if (window == 0 && cap == 0) {
            // Neither window nor cap: the scaling and the maximum on vectors, the same bits.
            VectorMath.scale(p, off, visible, scale);
            max = VectorMath.max(p, off, visible);
        } else {
            for (int s = 0; s < visible; s++) {
                if (window > 0 && qPos - pos[b.key(s)] >= window) {
                    p[off + s] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                float z = p[off + s] * scale;
                if (cap > 0) {
                    // ggml: scale by 1/cap, tanh, scale by cap, each a float step.
                    float th = (float) Math.tanh(z * inv);
                    z = th * cap;
                    if (slope != null) slope[off + s] = 1f - th * th;
                }
                p[off + s] = z;
                max = Math.max(max, z);
            }
        }
        // A row always sees its own key, so max is finite and masked scores (−∞) become 0.
        double sum = VectorMath.expInPlace(p, off, visible, max);
        VectorMath.scale(p, off, visible, (float) (1 / sum));
        for (int s = visible; s < width; s++) p[off + s] = 0;
    }
}
