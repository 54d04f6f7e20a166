package io.jdpo.export;

import io.jdpo.gguf.GgmlType;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.BlockCodes;
import io.jdpo.tensor.Dequantizer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Delta-aware requantization held to ggml: the codes jdpo reads from a block decode to what
 * ggml's to_float gives and write back to the same bytes; blocks the update leaves alone stay
 * byte-identical, moved codes carry the update in whole steps, and a block pushed past its
 * range is refitted and counted.
 */
class DeltaRequantizerTest {
    static final List<GgmlType> COVERED = List.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    static final int ROWS = 4, PER_ROW = 512;

    static float[] weights(long seed) {
        Random r = new Random(seed);
        float[] w = new float[ROWS * PER_ROW];
        for (int i = 0; i < w.length; i++) w[i] = (float) (0.05 * r.nextGaussian());
        return w;
    }

    @Test
    void codesDecodeAsGgmlDoesAndPackBackToTheSameBytes() {
        for (GgmlType type : COVERED) {
            byte[] q = RowQuantizer.quantize(type.id(), weights(type.id()), ROWS, PER_ROW, null);
            float[] ggml = RowQuantizer.dequantize(type.id(), q, ROWS * PER_ROW);
            BlockCodes codes = BlockCodes.of(type);
            int bs = type.blockSize(), bb = type.bytesPerBlock();
            int[] c = new int[bs];
            float[] step = new float[bs], offset = new float[bs];
            byte[] packed = q.clone();
            for (int b = 0; b < q.length / bb; b++) {
                codes.unpack(q, b * bb, c, step, offset);
                for (int i = 0; i < bs; i++) {
                    assertTrue(c[i] >= codes.min() && c[i] <= codes.max(), type + " code " + c[i]);
                    float y = step[i] * c[i] + offset[i], want = ggml[b * bs + i];
                    assertEquals(want, y, 1e-6f * Math.max(1, Math.abs(want)) + 2e-7f, type + " block " + b + " value " + i);
                }
                int[] zero = new int[bs];
                Arrays.fill(zero, Math.max(0, codes.min()));
                codes.pack(zero, packed, b * bb);
                codes.pack(c, packed, b * bb);
            }
            assertArrayEquals(q, packed, type + ": unpack then pack gives the block back");
        }
    }

    @Test
    void blocksTheUpdateLeavesAloneStayByteIdenticalAndMovedCodesCarryIt() {
        for (GgmlType type : COVERED) {
            float[] w0 = weights(11 + type.id());
            byte[] base = RowQuantizer.quantize(type.id(), w0, ROWS, PER_ROW, null);
            float[] w = RowQuantizer.dequantize(type.id(), base, w0.length);
            BlockCodes codes = BlockCodes.of(type);
            int bs = type.blockSize(), bb = type.bytesPerBlock(), blocks = base.length / bb;
            int[] c = new int[bs];
            float[] step = new float[bs], offset = new float[bs];
            float[] delta = new float[w.length];
            // Block b: 0 mod 3 untouched; 1 mod 3 a change of a tenth of a step (rounds away); 2 mod 3 one value moved
            // one step toward the middle of the code range (never out of it).
            int expectMoved = 0;
            for (int b = 0; b < blocks; b++) {
                codes.unpack(base, b * bb, c, step, offset);
                if (b % 3 == 1) {
                    for (int i = 0; i < bs; i++) delta[b * bs + i] = 0.1f * step[i];
                } else if (b % 3 == 2) {
                    int i = 0;
                    while (step[i] == 0) i++;
                    int dir = c[i] < (codes.min() + codes.max()) / 2 ? 1 : -1;
                    delta[b * bs + i] = dir * step[i];
                    expectMoved++;
                }
            }
            DeltaRequantizer.Result r = DeltaRequantizer.requantize(type, MemorySegment.ofArray(base), delta, ROWS, PER_ROW, null,
                    DeltaRequantizer.Rounding.NEAREST, 1);
            assertEquals(new DeltaRequantizer.Stats(blocks, blocks - expectMoved, expectMoved, 0, expectMoved), r.stats(), type.toString());
            float[] out = new float[w.length];
            Dequantizer.dequantize(type, MemorySegment.ofArray(r.data()), out, 0, out.length);
            for (int b = 0; b < blocks; b++) {
                byte[] was = Arrays.copyOfRange(base, b * bb, (b + 1) * bb), now = Arrays.copyOfRange(r.data(), b * bb, (b + 1) * bb);
                if (b % 3 != 2) assertArrayEquals(was, now, type + " block " + b + " byte-identical");
                for (int i = 0; i < bs; i++) {
                    int k = b * bs + i;
                    float want = b % 3 == 2 ? w[k] + delta[k] : w[k];
                    assertEquals(want, out[k], 1e-5f * Math.max(1e-2f, Math.abs(want)), type + " value " + k);
                }
            }
        }
    }

    @Test
    void aBlockPushedPastItsRangeIsRefittedAndCounted() {
        for (GgmlType type : COVERED) {
            float[] w0 = weights(21 + type.id());
            byte[] base = RowQuantizer.quantize(type.id(), w0, ROWS, PER_ROW, null);
            float[] w = RowQuantizer.dequantize(type.id(), base, w0.length);
            int bs = type.blockSize(), bb = type.bytesPerBlock();
            float[] delta = new float[w.length];
            int block = 3, k = block * bs + 5;
            float max = 0;
            for (int i = 0; i < bs; i++) max = Math.max(max, Math.abs(w[block * bs + i]));
            delta[k] = 2 * max * Math.signum(w[k] == 0 ? 1 : w[k]);
            float[] importance = new float[PER_ROW];
            Arrays.fill(importance, 1f);
            DeltaRequantizer.Result r = DeltaRequantizer.requantize(type, MemorySegment.ofArray(base), delta, ROWS, PER_ROW, importance,
                    DeltaRequantizer.Rounding.NEAREST, 1);
            assertEquals(1, r.stats().refit(), type + ": one block refitted");
            assertEquals(r.stats().blocks() - 1, r.stats().unchanged(), type.toString());
            for (int b = 0; b < base.length / bb; b++) {
                if (b == block) continue;
                assertEquals(-1, Arrays.mismatch(base, b * bb, (b + 1) * bb, r.data(), b * bb, (b + 1) * bb), type + " block " + b);
            }
            float[] out = new float[w.length];
            Dequantizer.dequantize(type, MemorySegment.ofArray(r.data()), out, 0, out.length);
            float target = w[k] + delta[k];
            assertEquals(target, out[k], 0.15f * Math.abs(target), type + ": the refitted block holds the new extreme");
        }
    }

    /**
     * The default rounding on a sub-step update (a tenth of a step on average, what a DPO
     * adapter gives at 4 bits): every row's written change carries the whole update along
     * itself, to within the jump one code makes (nearest rounding keeps almost none of it), and blocks whose update is zero keep
     * their bytes, with and without the input's second moments (compensation never moves them).
     */
    @Test
    void alignedRoundingKeepsTheUpdateAlongItselfAndLeavesZeroBlocksAlone() {
        Random rnd = new Random(5);
        double[] h = new double[PER_ROW * PER_ROW];
        double[] x = new double[PER_ROW];
        for (int t = 0; t < 200; t++) {
            double common = rnd.nextGaussian();
            for (int i = 0; i < PER_ROW; i++) x[i] = rnd.nextGaussian() + 0.5 * common;
            for (int i = 0; i < PER_ROW; i++) for (int j = 0; j < PER_ROW; j++) h[i * PER_ROW + j] += x[i] * x[j] / 200;
        }
        for (GgmlType type : List.of(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K)) {
            for (double[] moments : java.util.Arrays.asList(null, h)) {
                float[] w0 = weights(31 + type.id());
                byte[] base = RowQuantizer.quantize(type.id(), w0, ROWS, PER_ROW, null);
                float[] w = RowQuantizer.dequantize(type.id(), base, w0.length);
                int bs = type.blockSize(), bb = type.bytesPerBlock();
                BlockCodes codes = BlockCodes.of(type);
                int[] c = new int[bs];
                float[] step = new float[bs], offset = new float[bs];
                float[] delta = new float[w.length];
                for (int b = 0; b < base.length / bb; b++) {
                    if (b % 4 == 3) continue;
                    codes.unpack(base, b * bb, c, step, offset);
                    for (int i = 0; i < bs; i++) delta[b * bs + i] = (float) (0.12 * step[i] * rnd.nextGaussian());
                }
                DeltaRequantizer.Result r = DeltaRequantizer.requantize(type, MemorySegment.ofArray(base), delta, ROWS, PER_ROW, null, moments,
                        DeltaRequantizer.Rounding.ALIGNED, 0, 1);
                DeltaRequantizer.Result nearest = DeltaRequantizer.requantize(type, MemorySegment.ofArray(base), delta, ROWS, PER_ROW, null, moments,
                        DeltaRequantizer.Rounding.NEAREST, 0, 1);
                DeltaRequantizer.Result descended = DeltaRequantizer.requantize(type, MemorySegment.ofArray(base), delta, ROWS, PER_ROW, null, moments,
                        DeltaRequantizer.Rounding.ALIGNED, 20, 1);
                String what = type + (moments == null ? "" : " with second moments");
                for (int b = 3; b < base.length / bb; b += 4) {
                    assertEquals(-1, Arrays.mismatch(base, b * bb, (b + 1) * bb, r.data(), b * bb, (b + 1) * bb), what + ": block " + b + " byte-identical");
                }
                assertEquals(0, r.stats().refit(), what);
                for (int b = 3; b < base.length / bb; b += 4) {
                    assertEquals(-1, Arrays.mismatch(base, b * bb, (b + 1) * bb, descended.data(), b * bb, (b + 1) * bb),
                            what + " with an along weight: block " + b + " byte-identical");
                }
                float[] desc = new float[w.length];
                Dequantizer.dequantize(type, MemorySegment.ofArray(descended.data()), desc, 0, desc.length);
                for (int row = 0; row < ROWS; row++) {
                    double before = objective(r.data(), type, w, delta, moments, row, 20), after = objective(descended.data(), type, w, delta, moments, row, 20);
                    assertTrue(after <= before * (1 + 1e-12), what + " row " + row + ": the descent lowers its objective, " + before + " -> " + after);
                }
                float[] out = new float[w.length], near = new float[w.length];
                Dequantizer.dequantize(type, MemorySegment.ofArray(r.data()), out, 0, out.length);
                Dequantizer.dequantize(type, MemorySegment.ofArray(nearest.data()), near, 0, near.length);
                double keptSum = 0;
                for (int row = 0; row < ROWS; row++) {
                    double kept = 0, keptNearest = 0, norm = 0;
                    for (int i = 0; i < PER_ROW; i++) {
                        int k = row * PER_ROW + i;
                        double md = 0;
                        if (moments == null) md = delta[k];
                        else for (int j = 0; j < PER_ROW; j++) md += h[i * PER_ROW + j] * delta[row * PER_ROW + j];
                        kept += (out[k] - w[k]) * md;
                        keptNearest += (near[k] - w[k]) * md;
                        norm += delta[k] * md;
                    }
                    // The share moves by whole codes: through this H's common factor over 512 columns one
                    // code moved by the compensation shifts a row's share by up to a fifth.
                    assertEquals(1, kept / norm, 0.25, what + " row " + row + ": share of the update kept along itself");
                    assertTrue(keptNearest / norm < 0.5, what + " row " + row + ": nearest keeps " + keptNearest / norm);
                    keptSum += kept / norm;
                }
                assertEquals(1, keptSum / ROWS, 0.1, what + ": mean share kept along the update");
            }
        }
    }

    /**
     * eᵀMe + w·(eᵀMΔ)²/(ΔᵀMΔ) of one row, computed here from the decoded tensor: M = H plus the
     * aligned rounding's damping, or the identity without second moments.
     */
    private static double objective(byte[] data, GgmlType type, float[] w, float[] delta, double[] h, int row, double weight) {
        float[] out = new float[w.length];
        Dequantizer.dequantize(type, MemorySegment.ofArray(data), out, 0, out.length);
        double mean = 0;
        if (h != null) for (int i = 0; i < PER_ROW; i++) mean += h[i * PER_ROW + i] / PER_ROW;
        double[] e = new double[PER_ROW], d = new double[PER_ROW];
        for (int i = 0; i < PER_ROW; i++) {
            e[i] = out[row * PER_ROW + i] - w[row * PER_ROW + i] - delta[row * PER_ROW + i];
            d[i] = delta[row * PER_ROW + i];
        }
        double eme = 0, emd = 0, dmd = 0;
        for (int i = 0; i < PER_ROW; i++) {
            for (int j = 0; j < PER_ROW; j++) {
                double m = h == null ? (i == j ? 1 : 0) : h[i * PER_ROW + j] + (i == j ? DeltaRequantizer.ALIGNED_DAMPING * mean : 0);
                eme += e[i] * m * e[j];
                emd += e[i] * m * d[j];
                dmd += d[i] * m * d[j];
            }
        }
        return eme + weight * emd * emd / dmd;
    }

    @Test
    void typesFallBackAsLlamaQuantizeDoes() {
        assertEquals(GgmlType.Q4_K, TypeChoice.fallback(GgmlType.Q4_K, 4096));
        assertEquals(GgmlType.Q5_0, TypeChoice.fallback(GgmlType.Q4_K, 160));
        assertEquals(GgmlType.Q8_0, TypeChoice.fallback(GgmlType.Q6_K, 96));
        assertEquals(GgmlType.F16, TypeChoice.fallback(GgmlType.Q8_0, 172));
        assertEquals(GgmlType.F16, TypeChoice.fallback(GgmlType.Q4_K, 172));
        assertEquals(GgmlType.Q5_0, TypeChoice.upgrade(GgmlType.Q4_0, 64));
        assertEquals(GgmlType.Q8_0, TypeChoice.upgrade(GgmlType.Q5_0, 64));
        assertEquals(GgmlType.F16, TypeChoice.upgrade(GgmlType.Q8_0, 64));
        assertNull(TypeChoice.upgrade(GgmlType.F16, 64));
        assertEquals(GgmlType.Q5_K, TypeChoice.upgrade(GgmlType.Q4_K, 256));
        assertEquals(GgmlType.Q6_K, TypeChoice.upgrade(GgmlType.Q5_K, 256));
        assertEquals(GgmlType.Q8_0, TypeChoice.upgrade(GgmlType.Q6_K, 256));
    }
}
