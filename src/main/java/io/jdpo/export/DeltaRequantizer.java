package io.jdpo.export;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.BlockCodes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes W + Δ in the base tensor's own quantized type by moving codes under the base's
 * scales, instead of fitting every block afresh.
 *
 * <p>Each block of the base decodes as y = step·q + offset (its d, min and sub-block scales).
 * W + Δ keeps those scale bytes and takes the codes q + round(Δ/step): a value moves by whole
 * steps, only where the update crosses half a step, and a block the update leaves within half
 * a step everywhere stays byte-identical. Only when a new code falls outside the type's code
 * range (the update leaves the block's range) is the block fitted again, by ggml's quantizer
 * with the importance of its columns when there is one; those blocks are counted.
 *
 * <p>Bias. Rounding Δ/step to the nearest code is deterministic and biased toward the base:
 * a change smaller than half a step is dropped, so each value's error is at most
 * min(|Δ|, step/2) and the merge keeps a share of the update that grows with |Δ|/step. It adds
 * no noise where the update is small, which plain requantization does: ggml refits the
 * block's scale from its new extreme, every code of the block is rounded again, and each
 * value gets an error up to step/2 whether or not the update touched it (a second layer of
 * quantization noise, about as large as the first). Stochastic rounding (round up with
 * probability frac(Δ/step)) is unbiased, E[code change] = Δ/step, at the cost of an error
 * variance step²·p(1−p) per value, larger than Δ² whenever |Δ| &lt; step.
 *
 * <p>What the merged model's outputs feel (measured in llama.cpp, QuantizedMergeTest, README
 * "Merging"): an error along the update itself (the update scaled down) costs about fifty
 * times more KL per unit of output error eᵀHe than an error spread incoherently over the
 * row. So GPTQ-style compensation, which minimises eᵀHe alone, keeps the base's codes for a
 * sub-step update and loses most of it, and stochastic rounding, whose error is eight times
 * the update's in eᵀHe but has no component along it, does better. The default,
 * {@link Rounding#ALIGNED}, keeps what made stochastic rounding work (no error along the
 * update) and lowers the noise: it rounds base + g·Δ to the nearest codes (with GPTQ
 * compensation when the input's second moments are known), g per row the smallest gain for
 * which the written change carries the whole update along its own direction. It is
 * deterministic, so not unbiased value by value; it is unbiased along each row's update
 * (kept share 1 within the bisection's tolerance) and its error elsewhere is half that of
 * stochastic rounding in eᵀHe.
 *
 * <p>An along weight w above 0 follows the aligned rounding with a descent on
 * eᵀMe + w·(eᵀMΔ)²/(ΔᵀMΔ), one code at a time. Which w is best varies from adapter to adapter
 * (measured: none of them is better than w = 0 on every adapter), so the calibrated merge tries
 * several and keeps the one whose merged model is measurably closest to base + adapter.
 */
public final class DeltaRequantizer {
    /** How a change of Δ/step codes becomes a whole number of codes. */
    public enum Rounding {
        /** Each value to the nearest code: deterministic, drops changes below half a step. */
        NEAREST,
        /** Up with probability frac(Δ/step): unbiased, noisier. */
        STOCHASTIC,
        /**
         * Columns rounded in order, each one's rounding error compensated by the columns
         * after it through the input's second-moment matrix H = E[x xᵀ] (the GPTQ update):
         * it minimises the error of the layer's output eᵀHe rather than of each weight.
         * For a sub-step update that optimum mostly keeps the base's codes, so the update is
         * largely lost (measured). Needs the matrix from {@code jdpo imatrix --second-moments};
         * NEAREST where there is none.
         */
        COMPENSATED,
        /**
         * The default. Each row r rounds base + g·Δ_r (nearest codes; GPTQ-compensated through
         * H when the second moments are known), with g ≥ 1 the smallest gain (bisection) for
         * which the written change c carries the whole update along itself:
         * cᵀMΔ_r ≥ Δ_rᵀMΔ_r, M = H, else the imatrix's diagonal, else the identity.
         * Deterministic; no error along the update, half the incoherent noise of STOCHASTIC.
         */
        ALIGNED
    }

    /**
     * Blocks of one tensor (or of several, summed).
     *
     * @param blocks     every block of the tensor
     * @param unchanged  blocks left byte-identical to the base
     * @param moved      blocks whose codes moved under the base's scales (scale bytes kept)
     * @param refit      blocks the update pushed past their range, fitted again by ggml
     * @param codesMoved codes changed in the moved blocks
     */
    public record Stats(long blocks, long unchanged, long moved, long refit, long codesMoved) {
        Stats plus(Stats o) {
            return new Stats(blocks + o.blocks, unchanged + o.unchanged, moved + o.moved, refit + o.refit, codesMoved + o.codesMoved);
        }
    }

    /**
     * A requantized tensor.
     *
     * @param data  the tensor's bytes in the base's type, as many as the base tensor's
     * @param stats what happened to its blocks
     */
    public record Result(byte[] data, Stats stats) {
    }

    private DeltaRequantizer() {
    }

    /**
     * Whether jdpo can move codes of this type (else the merge refits with ggml's quantizer).
     *
     * @param type a GGML tensor type
     * @return true for the types {@link BlockCodes#of} knows
     */
    public static boolean supports(GgmlType type) {
        return BlockCodes.of(type) != null;
    }

    /**
     * W + Δ in the base's type without second moments ({@link Rounding#COMPENSATED} falls back
     * to NEAREST, {@link Rounding#ALIGNED} weighs by {@code importance} or uniformly).
     *
     * @param type       the base tensor's type (one {@link #supports} accepts)
     * @param base       the base tensor's bytes, {@code rows × perRow} values of {@code type}
     * @param delta      Δ, row-major, {@code rows × perRow}
     * @param rows       rows of the tensor (its ne[1])
     * @param perRow     values per row (its ne[0]), whole blocks of {@code type}
     * @param importance per-column weights for refitted blocks (an imatrix entry), or null
     * @param rounding   how code changes are rounded
     * @param seed       picks the stochastic rounding's draws (ignored otherwise)
     * @return the new bytes and the block counts
     * @throws IllegalArgumentException when the type has no encoder or the sizes disagree
     */
    public static Result requantize(GgmlType type, MemorySegment base, float[] delta, int rows, int perRow, float[] importance,
                                    Rounding rounding, long seed) {
        return requantize(type, base, delta, rows, perRow, importance, null, rounding, 0, seed);
    }

    /**
     * W + Δ in the base's type; the base's bytes are not modified.
     *
     * @param type          the base tensor's type (one {@link #supports} accepts)
     * @param base          the base tensor's bytes, {@code rows × perRow} values of {@code type}
     * @param delta         Δ, row-major, {@code rows × perRow}
     * @param rows          rows of the tensor (its ne[1])
     * @param perRow        values per row (its ne[0]), whole blocks of {@code type}
     * @param importance    per-column weights for refitted blocks and ALIGNED's metric (an imatrix entry), or null
     * @param secondMoments E[x xᵀ] of the tensor's input (perRow², row-major) for {@link Rounding#COMPENSATED}
     *                      and {@link Rounding#ALIGNED}, or null
     * @param rounding      how code changes are rounded
     * @param alongWeight   {@link Rounding#ALIGNED} only: above 0, each row's codes are then moved one
     *                      at a time while that lowers eᵀMe + w·(eᵀMΔ)²/(ΔᵀMΔ) (w this weight, e the
     *                      written change minus Δ); 0 leaves the aligned rounding as it is
     * @param seed          picks the stochastic rounding's draws (ignored otherwise)
     * @return the new bytes and the block counts
     * @throws IllegalArgumentException when the type has no encoder, the sizes disagree or the weight is negative
     */
    public static Result requantize(GgmlType type, MemorySegment base, float[] delta, int rows, int perRow, float[] importance,
                                    double[] secondMoments, Rounding rounding, double alongWeight, long seed) {
        if (!(alongWeight >= 0)) throw new IllegalArgumentException("along weight " + alongWeight + " is not >= 0");
        BlockCodes codes = BlockCodes.of(type);
        if (codes == null) throw new IllegalArgumentException(type + " has no code-level encoder; refit it with ggml's quantizer");
        int bs = type.blockSize(), bb = type.bytesPerBlock();
        if (perRow % bs != 0) throw new IllegalArgumentException("rows of " + perRow + " values are not whole " + type + " blocks of " + bs);
        if ((long) rows * perRow != delta.length) {
            throw new IllegalArgumentException(rows + " rows of " + perRow + " need " + (long) rows * perRow + " update values, got " + delta.length);
        }
        if (importance != null && importance.length != perRow) {
            throw new IllegalArgumentException("importance has " + importance.length + " columns, rows have " + perRow);
        }
        if (secondMoments != null && secondMoments.length != (long) perRow * perRow) {
            throw new IllegalArgumentException("second moments have " + secondMoments.length + " values, need " + perRow + "²");
        }
        boolean compensate = rounding == Rounding.COMPENSATED && secondMoments != null, aligned = rounding == Rounding.ALIGNED;
        // The first pass (nearest) refits the blocks the update leaves; the later passes keep them.
        if (rounding == Rounding.COMPENSATED || aligned) rounding = Rounding.NEAREST;
        long bytes = type.bytesFor((long) rows * perRow);
        if (base.byteSize() < bytes) throw new IllegalArgumentException(type + " tensor of " + rows + "x" + perRow + " needs " + bytes + " bytes, got " + base.byteSize());
        byte[] out = base.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE);
        int[] q = new int[bs];
        float[] step = new float[bs], offset = new float[bs];
        long blocks = (long) rows * perRow / bs, unchanged = 0, moved = 0, refit = 0, codesMoved = 0;
        int perRowBlocks = perRow / bs;
        boolean[] refitted = new boolean[Math.toIntExact(blocks)];
        for (long b = 0; b < blocks; b++) {
            int off = Math.toIntExact(b * bb), from = Math.toIntExact(b * bs);
            boolean any = false;
            for (int i = 0; i < bs; i++) if (delta[from + i] != 0) { any = true; break; }
            if (!any) { unchanged++; continue; }
            codes.unpack(out, off, q, step, offset);
            int changed = 0;
            boolean fits = true;
            java.util.SplittableRandom rnd = rounding == Rounding.STOCHASTIC ? new java.util.SplittableRandom(seed ^ (b * 0x9E3779B97F4A7C15L)) : null;
            for (int i = 0; i < bs && fits; i++) {
                float dv = delta[from + i];
                if (dv == 0) continue;
                if (step[i] == 0) { fits = false; break; }
                double x = dv / (double) step[i];
                // Refit only where the update leaves the block's range (its nearest code is out of
                // it); a stochastic draw past the end of the range is clamped instead.
                long nearest = q[i] + Math.round(x);
                if (nearest < codes.min() || nearest > codes.max()) { fits = false; break; }
                long k = rnd == null ? Math.round(x) : (long) Math.floor(x + rnd.nextDouble());
                long nq = Math.max(codes.min(), Math.min(codes.max(), q[i] + k));
                if (nq == q[i]) continue;
                q[i] = (int) nq;
                changed++;
            }
            if (fits) {
                if (changed == 0) { unchanged++; continue; }
                codes.pack(q, out, off);
                moved++;
                codesMoved += changed;
            } else {
                codes.unpack(out, off, q, step, offset);
                float[] v = new float[bs];
                for (int i = 0; i < bs; i++) v[i] = step[i] * q[i] + offset[i] + delta[from + i];
                float[] w = importance == null ? null : columnWeights(importance, (int) (b % perRowBlocks) * bs, bs);
                byte[] fresh = RowQuantizer.quantize(type.id(), v, 1, bs, w);
                System.arraycopy(fresh, 0, out, off, bb);
                refitted[(int) b] = true;
                refit++;
            }
        }
        if (aligned) {
            return aligned(codes, base.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE), out, refitted, delta, rows, perRow,
                    importance, secondMoments, alongWeight);
        }
        if (compensate) return compensate(codes, base.asSlice(0, bytes).toArray(ValueLayout.JAVA_BYTE), out, refitted, delta, rows, perRow, secondMoments);
        return new Result(out, new Stats(blocks, unchanged, moved, refit, codesMoved));
    }

    /**
     * The compensated pass over a tensor whose blocks past their range are already refitted in
     * {@code out} (they stay as they are: their error is compensated like any other). Every
     * other value is rounded, in column order, to a code under its block's scales; its error
     * e_j is spread over the later columns k as −e_j·U_jk/U_jj, where U is the upper Cholesky
     * factor of (H + λI)⁻¹, λ a hundredth of H's mean diagonal. Codes pushed past the range are
     * clamped, and their error compensated too.
     */
    private static Result compensate(BlockCodes codes, byte[] base, byte[] out, boolean[] refitted, float[] delta, int rows, int n, double[] h) {
        GgmlType type = codes.type();
        int bs = type.blockSize(), bb = type.bytesPerBlock(), nb = n / bs;
        double[] u = InverseCholesky.upperOfInverse(h, n, 0.01);
        int[] q = new int[n], bq = new int[n];
        float[] step = new float[n], offset = new float[n], bstep = new float[n], boff = new float[n];
        boolean[] frozen = new boolean[nb];
        long unchanged = 0, moved = 0, refit = 0, codesMoved = 0;
        double[] t = new double[n];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < nb; b++) {
                int off = (r * nb + b) * bb;
                frozen[b] = refitted[r * nb + b];
                int[] qq = new int[bs];
                float[] ss = new float[bs], oo = new float[bs];
                codes.unpack(base, off, qq, ss, oo);
                for (int i = 0; i < bs; i++) t[b * bs + i] = ss[i] * qq[i] + oo[i] + delta[r * n + b * bs + i];
                System.arraycopy(qq, 0, bq, b * bs, bs);
                codes.unpack(out, off, qq, ss, oo);
                System.arraycopy(qq, 0, q, b * bs, bs);
                System.arraycopy(ss, 0, step, b * bs, bs);
                System.arraycopy(oo, 0, offset, b * bs, bs);
            }
            for (int j = 0; j < n; j++) {
                if (!frozen[j / bs] && step[j] != 0) {
                    long k = Math.round((t[j] - offset[j]) / step[j]);
                    q[j] = (int) Math.max(codes.min(), Math.min(codes.max(), k));
                }
                double e = (t[j] - (step[j] * q[j] + offset[j])) / u[j * n + j];
                if (e == 0) continue;
                for (int k = j + 1; k < n; k++) t[k] -= e * u[j * n + k];
            }
            for (int b = 0; b < nb; b++) {
                int off = (r * nb + b) * bb;
                if (frozen[b]) { refit++; continue; }
                int changed = 0;
                for (int i = 0; i < bs; i++) if (q[b * bs + i] != bq[b * bs + i]) changed++;
                if (changed == 0) {
                    // The first pass may have moved this block's codes: the compensated ones are the base's.
                    System.arraycopy(base, off, out, off, bb);
                    unchanged++;
                    continue;
                }
                int[] qq = java.util.Arrays.copyOfRange(q, b * bs, (b + 1) * bs);
                codes.pack(qq, out, off);
                moved++;
                codesMoved += changed;
            }
        }
        return new Result(out, new Stats((long) rows * nb, unchanged, moved, refit, codesMoved));
    }

    /** GPTQ damping for {@link Rounding#ALIGNED}: 0.1 of H's mean diagonal (measured: 0.01 and 1 both gave higher KL). */
    static final double ALIGNED_DAMPING = 0.1;

    /**
     * The aligned pass over a tensor whose blocks past their range are already refitted in
     * {@code out} (kept as they are). Blocks whose update is zero keep the base's codes (so
     * their bytes), compensation never moves them. Per row: M·Δ_r and Δ_rᵀMΔ_r in the metric
     * M (H; else diag(importance); else I), then the gain g by doubling from 1 and bisection
     * until the codes of base + g·Δ_r carry the update along itself, then the codes are packed.
     * Cost per row: about 30 roundings, each O(n) (nearest) or O(n²) (compensated), plus the
     * O(n³) factor of (H + λI)⁻¹ once per tensor: the compensated form is for inputs small
     * enough to hold their n × n second moments.
     */
    private static Result aligned(BlockCodes codes, byte[] base, byte[] out, boolean[] refitted, float[] delta, int rows, int n,
                                  float[] importance, double[] h, double alongWeight) {
        int bs = codes.type().blockSize(), bb = codes.type().bytesPerBlock(), nb = n / bs;
        double[] u = h == null ? null : InverseCholesky.upperOfInverse(h, n, ALIGNED_DAMPING);
        Row row = new Row(codes, n, bs, u);
        Metric metric = new Metric(h, importance, n);
        long unchanged = 0, moved = 0, refit = 0, codesMoved = 0;
        int[] qq = new int[bs];
        float[] ss = new float[bs], oo = new float[bs];
        for (int r = 0; r < rows; r++) {
            boolean anyUpdate = false;
            for (int b = 0; b < nb; b++) {
                codes.unpack(base, (r * nb + b) * bb, qq, ss, oo);
                System.arraycopy(qq, 0, row.base, b * bs, bs);
                System.arraycopy(ss, 0, row.step, b * bs, bs);
                System.arraycopy(oo, 0, row.offset, b * bs, bs);
                boolean zero = true;
                for (int i = 0; i < bs; i++) if (delta[r * n + b * bs + i] != 0) { zero = false; break; }
                row.frozen[b] = refitted[r * nb + b] || zero;
                anyUpdate |= !zero;
            }
            for (int j = 0; j < n; j++) row.delta[j] = delta[r * n + j];
            double norm = 0;
            for (int i = 0; i < n; i++) {
                double v;
                if (h != null) {
                    v = 0;
                    for (int j = 0; j < n; j++) v += h[i * n + j] * row.delta[j];
                } else {
                    v = importance != null ? importance[i] * row.delta[i] : row.delta[i];
                }
                row.metricDelta[i] = v;
                norm += row.delta[i] * v;
            }
            if (anyUpdate && norm > 0) {
                double lo = 1, hi = 1;
                if (row.along(hi) < norm) {
                    while (row.along(hi) < norm && hi < 1024) { lo = hi; hi *= 2; }
                    for (int it = 0; it < 20; it++) {
                        double mid = 0.5 * (lo + hi);
                        if (row.along(mid) < norm) lo = mid; else hi = mid;
                    }
                    double below = norm - row.along(lo), above = row.along(hi) - norm;
                    double g = below < above ? lo : hi, miss = Math.min(below, above);
                    if (miss > 0.05 * norm) {
                        // Through the compensation the share is not monotone in g (one code moved early
                        // moves later ones): where bisection lands on a jump, scan gains up to hi.
                        for (int i = 0; i <= 48; i++) {
                            double gi = Math.pow(hi, i / 48.0), m = Math.abs(row.along(gi) - norm);
                            if (m < miss) { miss = m; g = gi; }
                        }
                    }
                    row.along(g);
                }
                if (alongWeight > 0) row.descend(metric, alongWeight);
            } else {
                System.arraycopy(row.base, 0, row.q, 0, n);
            }
            for (int b = 0; b < nb; b++) {
                int off = (r * nb + b) * bb;
                if (refitted[r * nb + b]) { refit++; continue; }
                int changed = 0;
                for (int i = 0; i < bs; i++) if (row.q[b * bs + i] != row.base[b * bs + i]) changed++;
                if (changed == 0) {
                    System.arraycopy(base, off, out, off, bb);
                    unchanged++;
                    continue;
                }
                codes.pack(java.util.Arrays.copyOfRange(row.q, b * bs, (b + 1) * bs), out, off);
                moved++;
                codesMoved += changed;
            }
        }
        return new Result(out, new Stats((long) rows * nb, unchanged, moved, refit, codesMoved));
    }

    /** One row's codes, scales, update and scratch for {@link #aligned}. */
    private static final class Row {
        final BlockCodes codes;
        final int n, bs;
        final double[] u, delta, metricDelta, target;
        final int[] base, q;
        final float[] step, offset;
        final boolean[] frozen;

        Row(BlockCodes codes, int n, int bs, double[] u) {
            this.codes = codes;
            this.n = n;
            this.bs = bs;
            this.u = u;
            delta = new double[n];
            metricDelta = new double[n];
            target = new double[n];
            base = new int[n];
            q = new int[n];
            step = new float[n];
            offset = new float[n];
            frozen = new boolean[n / bs];
        }

        /**
         * Moves single codes of the row by ±1, always the move that lowers
         * J = eᵀMe + w·(eᵀMΔ)²/(ΔᵀMΔ) most, until none lowers it (at most 8n moves), e being the
         * written change minus Δ over the movable values. Each candidate costs O(1) from the kept
         * vector Me, each move O(n) to update it: O(n²) per row at worst, as the compensation.
         * Blocks that are frozen (refitted, or without an update) are never moved.
         */
        void descend(Metric m, double w) {
            double[] md = m.times(delta);
            double norm = 0;
            for (int j = 0; j < n; j++) norm += delta[j] * md[j];
            if (!(norm > 0)) return;
            double[] e = new double[n];
            boolean[] movable = new boolean[n];
            for (int j = 0; j < n; j++) {
                movable[j] = !frozen[j / bs] && step[j] != 0;
                e[j] = movable[j] ? step[j] * (q[j] - base[j]) - delta[j] : 0;
            }
            double[] me = m.times(e);
            double along = 0;
            for (int j = 0; j < n; j++) along += e[j] * md[j];
            double tolerance = 1e-15 * norm;
            for (int moves = 0; moves < 8 * n; moves++) {
                double best = -tolerance;
                int bj = -1, bsign = 0;
                for (int j = 0; j < n; j++) {
                    if (!movable[j]) continue;
                    for (int sign = -1; sign <= 1; sign += 2) {
                        int nq = q[j] + sign;
                        if (nq < codes.min() || nq > codes.max()) continue;
                        double d = sign * step[j], a = along + d * md[j];
                        double gain = 2 * d * me[j] + d * d * m.diagonal(j) + w / norm * (a * a - along * along);
                        if (gain < best) { best = gain; bj = j; bsign = sign; }
                    }
                }
                if (bj < 0) return;
                double d = bsign * step[bj];
                q[bj] += bsign;
                along += d * md[bj];
                m.addColumn(me, bj, d);
            }
        }

        /**
         * Rounds base + g·Δ into {@link #q} (nearest, or GPTQ through u) and returns cᵀMΔ for
         * the written change c (the refitted blocks' change is taken as Δ itself).
         */
        double along(double g) {
            for (int j = 0; j < n; j++) target[j] = step[j] * base[j] + offset[j] + g * delta[j];
            for (int j = 0; j < n; j++) {
                boolean fixed = frozen[j / bs] || step[j] == 0;
                q[j] = fixed ? base[j]
                        : (int) Math.max(codes.min(), Math.min(codes.max(), Math.round((target[j] - offset[j]) / step[j])));
                if (u == null || fixed && delta[j] != 0) continue;
                double err = (target[j] - (step[j] * q[j] + offset[j])) / u[j * n + j];
                if (err == 0) continue;
                for (int k = j + 1; k < n; k++) target[k] -= err * u[j * n + k];
            }
            double a = 0;
            for (int j = 0; j < n; j++) {
                double c = frozen[j / bs] && delta[j] != 0 ? delta[j] : step[j] * (q[j] - base[j]);
                a += c * metricDelta[j];
            }
            return a;
        }
    }

    /**
     * The metric M of {@link Row#descend}: H + λI (λ = {@link #ALIGNED_DAMPING} of H's mean
     * diagonal, as the compensation's factor) when the second moments are known, else the
     * imatrix's diagonal, else the identity.
     */
    private static final class Metric {
        private final double[] h;
        private final float[] importance;
        private final int n;
        private final double damping;

        Metric(double[] h, float[] importance, int n) {
            this.h = h;
            this.importance = importance;
            this.n = n;
            double mean = 0;
            if (h != null) for (int i = 0; i < n; i++) mean += h[i * n + i];
            this.damping = ALIGNED_DAMPING * mean / n;
        }

        double diagonal(int j) {
            return h != null ? h[j * n + j] + damping : importance != null ? importance[j] : 1;
        }

        double[] times(double[] e) {
            double[] r = new double[n];
            for (int j = 0; j < n; j++) if (e[j] != 0) addColumn(r, j, e[j]);
            return r;
        }

        /** r += d · M[:, j]. */
        void addColumn(double[] r, int j, double d) {
            if (h == null) {
                r[j] += diagonal(j) * d;
                return;
            }
            for (int i = 0; i < n; i++) r[i] += d * h[i * n + j];
            r[j] += damping * d;
        }
    }

    /**
     * The importance of columns [from, from+n), floored at a thousandth of their mean: a column
     * the data never excited would otherwise weigh nothing at all in ggml's fit.
     */
    static float[] columnWeights(float[] importance, int from, int n) {
        float[] w = java.util.Arrays.copyOfRange(importance, from, from + n);
        double mean = 0;
        for (float x : w) mean += x;
        mean /= n;
        float floor = (float) Math.max(1e-3 * mean, 1e-12);
        for (int i = 0; i < n; i++) w[i] = Math.max(w[i], floor);
        return w;
    }
}
