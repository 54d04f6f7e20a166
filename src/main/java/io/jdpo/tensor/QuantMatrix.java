package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as stored in GGUF ({@code rows} = n_out rows of {@code cols} = n_in values,
 * any supported type), read in place from the mapped file. Products decode a few rows at a
 * time and use each decoded row for every token, so no tensor is ever dequantized whole.
 *
 * <p>The matrix does not own its bytes: they belong to the mapping of the GGUF file, which must
 * stay open while the matrix is used. Activation and gradient arrays are row-major, one row per
 * token. Products may run from several threads at once (each thread decodes into its own
 * buffer); changing {@link #arithmetic(Arithmetic)} while products run is not safe.
 */
public final class QuantMatrix {
    /**
     * Rows decoded together: four packed strips of output columns, so each block of the
     * activations is reused by four strips while it sits in L2.
     */
    private static final int PANEL = 4 * PackedGemm.STRIP;
    /** Decoded weight rows, one buffer per thread (a panel of rows, or KB rows of a column slice). */
    private static final ScratchBuffer<float[]> DECODED = ScratchBuffer.floats();
    /** A panel of products handed to a {@link PanelSink}. */
    private static final ScratchBuffer<float[]> PANEL_OUT = ScratchBuffer.floats();
    /** The calling thread's rounded activations and Q8_1 block-sum roundings ({@link #round}). */
    private static final ScratchBuffer<float[]> ROUNDED = ScratchBuffer.floats(), SUM_DELTA = ScratchBuffer.floats();

    private final String name;
    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;
    /** How products round their activations; set by the model that owns the matrix. */
    private Arithmetic arithmetic = Arithmetic.DEPLOYED;

    /**
     * Wraps a tensor's bytes.
     *
     * @param name the tensor's name, used in errors
     * @param type its ggml type
     * @param data its bytes: {@code rows} rows of {@code cols} values, each row a whole number of blocks
     * @param cols values per row: n_in, the tensor's ne[0]
     * @param rows rows: n_out, the tensor's ne[1]
     * @throws UnsupportedTypeException if jdpo cannot decode {@code type}
     * @throws IllegalArgumentException if {@code cols} is not a whole number of blocks or
     *                                  {@code data} is not exactly rows × row bytes long
     */
    public QuantMatrix(String name, GgmlType type, MemorySegment data, int cols, int rows) {
        if (!Dequantizer.supports(type)) throw new UnsupportedTypeException(name, type);
        this.name = name;
        this.type = type;
        this.cols = cols;
        this.rows = rows;
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes for " + rows + " rows of " + rowBytes);
        }
        this.data = data;
    }

    /** {@return the tensor's name in the file} */
    public String name() { return name; }

    /** {@return how products round their activations; {@link Arithmetic#DEPLOYED} until set} */
    public Arithmetic arithmetic() { return arithmetic; }

    /**
     * How later products treat their activations (see {@link Arithmetic}).
     *
     * @param a the arithmetic, not null
     */
    public void arithmetic(Arithmetic a) {
        this.arithmetic = java.util.Objects.requireNonNull(a);
    }

    /** {@return the tensor's ggml type} */
    public GgmlType type() { return type; }

    /** {@return n_out, the number of output values per token} */
    public int rows() { return rows; }

    /** {@return n_in, the number of input values per token} */
    public int cols() { return cols; }

    /**
     * Row r as floats.
     *
     * @param r   the row, in [0, rows)
     * @param out receives {@code cols} floats
     * @param off index in {@code out} of the first
     */
    public void decodeRow(int r, float[] out, int off) {
        Dequantizer.dequantize(type, data, r * rowBytes, out, off, cols);
    }

    /**
     * y[t][r] = Σ_i W[r][i] · x[t][i] for t &lt; tokens (x is tokens × cols, y is tokens × rows).
     * The activations are first rounded as {@link #arithmetic()} says: in the deployed
     * arithmetic to the 8-bit blocks llama.cpp's CPU backend makes of them (so the product
     * computes ggml's block sums), or to F16/BF16 for F16/BF16 weights; in the float
     * arithmetic not at all. The input is not modified.
     *
     * @param input  x, tokens × cols
     * @param tokens the number of token rows
     * @param y      receives W·x, tokens × rows; overwritten
     * @param par    the threads that share the rows
     */
    public void matmul(float[] input, int tokens, float[] y, Parallel par) {
        matmul(new SharedInput(input, tokens), y, par, new int[]{tokens});
    }

    /**
     * {@link #matmul(float[], int, float[], Parallel)} of an input other products
     * read too (its 8-bit blocks and lane layouts are made once for all of them), its rows
     * llama.cpp's decodes of the given sizes one after another: the deployed arithmetic follows
     * each decode's kernel choices (see {@link #splitsBatches}: one call cannot where they differ).
     *
     * @param shared  x, tokens × cols
     * @param y       receives W·x, tokens × rows; overwritten
     * @param par     the threads that share the rows
     * @param batches the decodes' rows, summing to the input's tokens
     * @throws IllegalArgumentException where {@link #splitsBatches} is true for these decodes, or
     *                                  their rows do not add up to the input's
     */
    public void matmul(SharedInput shared, float[] y, Parallel par, int[] batches) {
        if (splitsBatches(batches)) throw new IllegalArgumentException("decodes of " + java.util.Arrays.toString(batches) + " rows choose different kernels: one call each");
        float[] input = shared.values();
        int tokens = shared.tokens(), batchRows = batches[0];
        if (java.util.Arrays.stream(batches).sum() != tokens) {
            throw new IllegalArgumentException("decodes of " + java.util.Arrays.toString(batches) + " rows for an input of " + tokens);
        }
        GgmlQuantDot.Order order = arithmetic == Arithmetic.DEPLOYED ? GgmlQuantDot.orderFor(type, cols, rows, batchRows) : null;
        if (order != null) {
            GgmlQuantDot.Q8Rows x = shared.blocks(type, cols, par);
            GgmlQuantLanes.Tokens lanes = Simd.VECTOR ? shared.lanes(type, order, cols, par) : null;
            boolean[] gemv = GgmlQuantDot.gemvTokens(batches);
            par.forRange(rows, PANEL, (r0, r1) -> GgmlQuantDot.product(type, data, cols, order, x, lanes, gemv, r0, r1 - r0, y, r0, rows));
            return;
        }
        Rounded x = round(input, tokens, Simd.VECTOR, par);
        if (inGgmlOrder(batchRows)) {
            float[] xs = x.values;
            par.forRange(rows, PANEL, (r0, r1) -> decodePanels(r0, r1, (p, n, w) -> ggmlProduct(xs, tokens, batchRows, w, n, y, p, rows)));
            return;
        }
        par.forRange(rows, PANEL, (r0, r1) -> decodePanels(r0, r1, (p, n, w) -> {
            PackedGemm.abT(x.values, 0, cols, tokens, w, 0, cols, cols, n, y, p, rows, false);
            if (x.sumDelta != null) addMinTerms(x.sumDelta, tokens, p, n, y, p, rows);
        }));
    }

    /**
     * Whether row {@code k} of a llama.cpp decode of {@code batchRows} rows goes to repack.cpp's
     * gemv rather than its gemm (past the decode's whole fours, or any row of three or fewer).
     *
     * @param k         the row within its decode
     * @param batchRows the decode's rows
     * @return true for the gemv
     */
    public static boolean inRepackGemv(int k, int batchRows) {
        return k >= GgmlQuantDot.gemmRows(batchRows);
    }

    /**
     * Whether llama.cpp's kernels for these weights choose differently for decodes of these
     * sizes, so that one call cannot follow them all: in the deployed arithmetic, another
     * quantized order (tinyBLAS's types and IQ4_NL take a single token otherwise, iqp.cpp's
     * IQ4_XS panels need eight), or ggml's F32/F16/BF16 products of one row against more
     * (vec_dot against tinyBLAS). repack.cpp's gemm and gemv are one call's business
     * ({@link GgmlQuantDot#gemvTokens}).
     *
     * @param batches the decodes' rows
     * @return true where each decode needs a call of its own
     */
    public boolean splitsBatches(int[] batches) {
        if (arithmetic != Arithmetic.DEPLOYED) return false;
        GgmlQuantDot.Order first = GgmlQuantDot.orderFor(type, cols, rows, batches[0]);
        boolean ggml = inGgmlOrder(batches[0]), many = batches[0] >= 2;
        for (int b : batches) {
            if (GgmlQuantDot.orderFor(type, cols, rows, b) != first) return true;
            if (first == null && (inGgmlOrder(b) != ggml || ggml && (b >= 2) != many)) return true;
        }
        return false;
    }

    /**
     * True when this product adds in ggml's order ({@link GgmlOrder#sgemm}) rather than on the
     * packed kernels: in the deployed arithmetic, for F32 and F16 weights (whose products with
     * F16-rounded activations are exact, so the order of the sums is the only difference), on
     * a machine whose ggml order is known. Quantized types have integer block sums of their own.
     */
    private boolean inGgmlOrder(int tokens) {
        return arithmetic == Arithmetic.DEPLOYED && GgmlOrder.LANES > 0
                && (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 && bf16InGgmlOrder(tokens));
    }

    /**
     * BF16 in ggml's order: where ggml uses vdpbf16ps, tinyBLAS with two tokens or more (rows a
     * multiple of 4, columns of 32); without it tinyBLAS adds BF16 as F32 (the F32 order).
     */
    private boolean bf16InGgmlOrder(int tokens) {
        return !GgmlOrder.BF16_DOT || tokens >= 2 && cols % 32 == 0 && rows % 4 == 0;
    }

    /**
     * Whether the deployed products of these weights are llama.cpp's to the bit (with eight
     * tokens or more): F32 and F16 in ggml's float order, the 32-value types with Q8_0
     * activations by {@link GgmlQuantDot}.
     *
     * @return true when this matrix's type has ggml's own order here
     */
    public boolean hasGgmlOrder() {
        return GgmlOrder.LANES > 0 && (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 && bf16InGgmlOrder(8)
                || GgmlQuantDot.orderFor(type, cols, rows, 8) != null);
    }

    /**
     * One decoded panel (n rows of W) against every token in ggml's order: tinyBLAS where
     * llama.cpp takes it (two tokens or more, rows a multiple of 4, columns of whole vectors),
     * else {@code ggml_vec_dot_f32} output by output.
     */
    private void ggmlProduct(float[] x, int tokens, int batchRows, float[] w, int n, float[] y, int yo, int ldy) {
        if (type == GgmlType.BF16 && GgmlOrder.BF16_DOT) {
            GgmlOrder.bf16Gemm(x, tokens, w, n, cols, y, yo, ldy);
            return;
        }
        GgmlOrder.product(x, tokens, w, n, cols, rows, batchRows, type == GgmlType.F16, y, yo, ldy);
    }

    /** Activations as the products see them, and Q8_1's block-sum rounding (null unless the weights need it). */
    private record Rounded(float[] values, float[] sumDelta) {
    }

    /**
     * The activations rounded into the calling thread's buffers (reused between calls: a fresh
     * tokens × cols array per product was most of the forward's garbage), valid until the
     * thread's next call; the products read them from every worker before matmul returns.
     */
    private Rounded round(float[] input, int tokens, boolean vector, Parallel par) {
        int n = tokens * cols;
        if (arithmetic == Arithmetic.FLOAT) return new Rounded(input, null);
        ActivationQuantizer.Format f = ActivationQuantizer.formatFor(type);
        if (f == null) {
            if (!ActivationRounding.rounds(type)) return new Rounded(input, null);
            float[] out = ROUNDED.get(n);
            // Token rows are rounded independently: split over the threads (it was the forward's
            // largest serial step, about 5% of its wall time on 2 threads).
            par.forRange(tokens, 1, (t0, t1) -> ActivationRounding.forWeights(type, input, t0 * cols, t1 * cols, out));
            return new Rounded(out, null);
        }
        float[] out = ROUNDED.get(n);
        float[] delta = f == ActivationQuantizer.Format.Q8_1 ? SUM_DELTA.get(n / f.block) : null;
        int blocksPerRow = cols / f.block;
        par.forRange(tokens, 1, (t0, t1) ->
                ActivationQuantizer.roundTrip(f, input, t0 * blocksPerRow, t1 * blocksPerRow, out, delta, vector));
        return new Rounded(out, delta);
    }

    /**
     * Q4_1 and Q5_1 add each block's minimum m times the activations' block sum, which ggml
     * takes from Q8_1's F16 field s rather than from its integers: y[t][r] += Σ_b m_rb ·
     * (s_tb − d_tb·Σq_tb) for rows [r0, r0 + n), y[t][yo + k] for row r0 + k.
     */
    private void addMinTerms(float[] sumDelta, int tokens, int r0, int n, float[] y, int yo, int ldy) {
        int blocks = cols / type.blockSize(), bytes = type.bytesPerBlock();
        for (int k = 0; k < n; k++) {
            long row = (r0 + k) * rowBytes;
            for (int b = 0; b < blocks; b++) {
                // Q4_1 and Q5_1 both start a block with F16 d, then F16 m.
                float m = Float.float16ToFloat(data.get(HALF, row + (long) b * bytes + 2));
                if (m == 0) continue;
                for (int t = 0; t < tokens; t++) y[t * ldy + yo + k] += m * sumDelta[t * blocks + b];
            }
        }
    }

    private static final java.lang.foreign.ValueLayout.OfShort HALF =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Receives one panel of y = W·x: rows [r0, r0 + n) of W against every token, as tokens × n values. */
    public interface PanelSink {
        /**
         * Takes one panel.
         *
         * @param r0 the panel's first row of W (first output index)
         * @param n  its number of rows
         * @param y  tokens × n products, row-major (y[t·n + k] is output r0 + k of token t); a
         *           per-thread buffer reused for the next panel, so copy what must outlive the call
         */
        void accept(int r0, int n, float[] y);
    }

    /**
     * y = W·x handed over a panel of rows at a time instead of stored whole: for consumers that
     * reduce each output row as it comes (the vocabulary's log-sum-exp), so tokens × rows
     * values never exist at once. Each thread takes one contiguous range of rows and gets its
     * sink from {@code sinkForRange} (called with the range's first row); within a range the
     * panels arrive in row order.
     *
     * @param input        x, tokens × cols; rounded as {@link #matmul} rounds it
     * @param tokens       the number of token rows
     * @param batchRows    the rows of a llama.cpp decode whose outputs these are, for the
     *                     deployed arithmetic's kernel choices (where several decodes share the
     *                     call, {@link #splitsBatches} must be false for them)
     * @param gemv         the tokens repack.cpp's gemv makes ({@link #inRepackGemv}); null when none
     * @param par          the threads that share the rows
     * @param sinkForRange gives the sink of the range starting at a row; sinks of different
     *                     ranges run concurrently
     */
    public void matmulPanels(float[] input, int tokens, int batchRows, boolean[] gemv, Parallel par, java.util.function.IntFunction<PanelSink> sinkForRange) {
        GgmlQuantDot.Order order = arithmetic == Arithmetic.DEPLOYED ? GgmlQuantDot.orderFor(type, cols, rows, batchRows) : null;
        if (order != null) {
            SharedInput shared = new SharedInput(input, tokens);
            GgmlQuantDot.Q8Rows q = shared.blocks(type, cols, par);
            GgmlQuantLanes.Tokens lanes = Simd.VECTOR ? shared.lanes(type, order, cols, par) : null;
            par.forRange(rows, PANEL, (r0, r1) -> {
                PanelSink sink = sinkForRange.apply(r0);
                float[] y = PANEL_OUT.get(tokens * PANEL);
                for (int p = r0; p < r1; p += PANEL) {
                    int n = Math.min(PANEL, r1 - p);
                    GgmlQuantDot.product(type, data, cols, order, q, lanes, gemv, p, n, y, 0, n);
                    sink.accept(p, n, y);
                }
            });
            return;
        }
        Rounded x = round(input, tokens, Simd.VECTOR, par);
        par.forRange(rows, PANEL, (r0, r1) -> {
            PanelSink sink = sinkForRange.apply(r0);
            float[] y = PANEL_OUT.get(tokens * PANEL);
            boolean ggml = inGgmlOrder(batchRows);
            decodePanels(r0, r1, (p, n, w) -> {
                if (ggml) ggmlProduct(x.values, tokens, batchRows, w, n, y, 0, n);
                else PackedGemm.abT(x.values, 0, cols, tokens, w, 0, cols, cols, n, y, 0, n, false);
                if (x.sumDelta != null) addMinTerms(x.sumDelta, tokens, p, n, y, 0, n);
                sink.accept(p, n, y);
            });
        });
    }

    private interface PanelWork {
        void run(int r0, int n, float[] decoded);
    }

    /** Decodes rows [r0, r1) a panel at a time into this thread's buffer and hands each panel to work. */
    private void decodePanels(int r0, int r1, PanelWork work) {
        float[] w = DECODED.get(PANEL * cols);
        for (int p = r0; p < r1; p += PANEL) {
            int n = Math.min(PANEL, r1 - p);
            for (int k = 0; k < n; k++) decodeRow(p + k, w, k * cols);
            work.run(p, n, w);
        }
    }

    /**
     * Scalar reference of {@link #matmul}: round and decode with the scalar paths, accumulate in double.
     *
     * @param input  x, tokens × cols
     * @param tokens the number of token rows
     * @param y      receives W·x, tokens × rows; overwritten
     */
    public void matmulScalar(float[] input, int tokens, float[] y) {
        Rounded rounded = round(input, tokens, false, Parallel.SERIAL);
        float[] x = rounded.values;
        float[] w = new float[cols];
        for (int r = 0; r < rows; r++) {
            Dequantizer.dequantizeScalar(type, data.asSlice(r * rowBytes, rowBytes), w, 0, cols);
            for (int t = 0; t < tokens; t++) {
                double s = 0;
                for (int i = 0; i < cols; i++) s += (double) w[i] * x[t * cols + i];
                y[t * rows + r] = (float) s;
            }
            if (rounded.sumDelta != null) addMinTerms(rounded.sumDelta, tokens, r, 1, y, r, rows);
        }
    }

    /**
     * dx[t][i] += Σ_r dy[t][r] · W[r][i] (dy is tokens × rows, dx tokens × cols): the gradient
     * of the input through the frozen weight. In the deployed arithmetic the forward rounded
     * the input first; its gradient passes straight through that rounding (taken as the
     * identity, the straight-through estimator of quantization-aware training), since the
     * rounding's own derivative is zero almost everywhere. Threads own slices of columns, aligned to the
     * type's blocks so each decodes only its part of every row; each dx value is summed by
     * one thread in a fixed order, so results do not depend on timing.
     *
     * @param dy     the output gradient, tokens × rows
     * @param tokens the number of token rows
     * @param dx     the input gradient, tokens × cols; added to
     * @param par    the threads that share the columns
     */
    public void matmulTransposedAdd(float[] dy, int tokens, float[] dx, Parallel par) {
        matmulTransposedAdd(dy, tokens, dx, 0, par);
    }

    /**
     * As {@link #matmulTransposedAdd(float[], int, float[], Parallel)} with dx's rows starting at dxOff.
     *
     * @param dy     the output gradient, tokens × rows
     * @param tokens the number of token rows
     * @param dx     holds the input gradient, tokens × cols from {@code dxOff}; added to
     * @param dxOff  index in {@code dx} of the gradient's first value
     * @param par    the threads that share the columns
     */
    public void matmulTransposedAdd(float[] dy, int tokens, float[] dx, int dxOff, Parallel par) {
        int grain = Math.max(type.blockSize(), PackedGemm.STRIP);
        par.forRange(cols, grain, (c0, c1) -> {
            int width = c1 - c0;
            long byteOff = type.bytesFor(c0), bytes = type.bytesFor(width);
            float[] w = DECODED.get(PackedGemm.KB * width);
            for (int p = 0; p < rows; p += PackedGemm.KB) {
                int n = Math.min(PackedGemm.KB, rows - p);
                for (int k = 0; k < n; k++) {
                    Dequantizer.dequantize(type, data, (p + k) * rowBytes + byteOff, w, k * width, width);
                }
                PackedGemm.ab(dy, p, rows, tokens, w, 0, width, n, width, dx, dxOff + c0, cols, true);
            }
        });
    }

    /**
     * Scalar reference of {@link #matmulTransposedAdd}: whole rows decoded by the scalar path, sums in double.
     *
     * @param dy     the output gradient, tokens × rows
     * @param tokens the number of token rows
     * @param dx     the input gradient, tokens × cols from index 0; added to
     */
    public void matmulTransposedAddScalar(float[] dy, int tokens, float[] dx) {
        float[] w = new float[cols];
        double[] acc = new double[tokens * cols];
        for (int r = 0; r < rows; r++) {
            Dequantizer.dequantizeScalar(type, data.asSlice(r * rowBytes, rowBytes), w, 0, cols);
            for (int t = 0; t < tokens; t++) {
                for (int i = 0; i < cols; i++) acc[t * cols + i] += (double) dy[t * rows + r] * w[i];
            }
        }
        for (int i = 0; i < acc.length; i++) dx[i] += (float) acc[i];
    }
}
