package io.jdpo.model;

import io.jdpo.tensor.Parallel;
import io.jdpo.tensor.QuantMatrix;
import io.jdpo.tensor.ScratchBuffer;
import io.jdpo.tensor.VectorMath;

/**
 * The final norm, the vocabulary projection and the log-softmax: from the last residual
 * stream to the log-probs of the layout's predictions. Inference streams the logits through
 * {@link OnlineLogSoftmax}; training also keeps, per prediction, the gradient of its log-prob
 * by the normalised hidden state.
 */
final class OutputHead {
    /**
     * Logits computed at once in training: 32 MiB of floats. Each chunk decodes the whole
     * output matrix again, so chunks are kept few (two for 512 tokens of a 32k vocabulary).
     */
    private static final int LOGIT_CHUNK_FLOATS = 8 << 20;
    /** A thread's copy of one row of capped logits (a vocabulary's worth: 1 MiB for Gemma's). */
    private static final ScratchBuffer<float[]> CAPPED = ScratchBuffer.floats();
    private final ModelConfig cfg;
    private final QuantMatrix output;
    private final float[] outputNorm;
    private final Parallel par;

    OutputHead(ModelConfig cfg, ModelWeights weights, Parallel par) {
        this.cfg = cfg;
        this.output = weights.output;
        this.outputNorm = weights.outputNorm;
        this.par = par;
    }

    QuantMatrix matrix() {
        return output;
    }

    float[] norm() {
        return outputNorm;
    }

    /**
     * Log-probs of the layout's predictions from the final residual x. With {@code unit}
     * (training) it works a chunk of positions at a time and also stores, per prediction,
     * (onehot − softmax)·W_out: the gradient of that log-prob by the normalised hidden state,
     * so the backward needs no second pass over the vocabulary.
     */
    float[] logProbs(float[] x, Layout layout, float[] unit) {
        return logProbs(x, layout, unit, null, null, null);
    }

    /**
     * As above; when training, {@code logSquares[i]} receives log Σ_v p_v² of row i (WPO's
     * per-token normaliser); {@code top[i]} (when not null) the row's largest log-prob, computed
     * as the target's is, so the target is the most likely token exactly when the two are equal;
     * {@code entropy[i]} (when not null) the entropy of row i's distribution, nats.
     */
    float[] logProbs(float[] x, Layout layout, float[] unit, float[] logSquares, float[] top, float[] entropy) {
        int n = layout.sources.length, d = cfg.dim(), V = cfg.vocab();
        if (unit == null) {
            // Inference needs only each row's normaliser and one logit: reduce the logits
            // panel by panel as the product makes them, holding none of them whole; one of
            // llama.cpp's decodes at a time, as its kernels choose by the rows each outputs.
            int[][] outputs = layout.outputBatches();
            int[] sizes = java.util.Arrays.stream(outputs).mapToInt(o -> o.length).filter(m -> m > 0).toArray();
            // Each prediction's decode and its row's place there: a pair's prompt row is asked twice.
            int[] decode = new int[n], rank = new int[n];
            for (int i = 0; i < n; i++) {
                for (int b = 0; b < outputs.length; b++) {
                    int k = java.util.Arrays.binarySearch(outputs[b], layout.sources[i]);
                    if (k >= 0) {
                        decode[i] = b;
                        rank[i] = k;
                    }
                }
            }
            if (!output.splitsBatches(sizes)) {
                boolean[] gemv = new boolean[n];
                boolean any = false;
                for (int i = 0; i < n; i++) any |= gemv[i] = QuantMatrix.inRepackGemv(rank[i], outputs[decode[i]].length);
                return inference(x, layout.sources, layout.targets, sizes[0], any ? gemv : null, top, entropy);
            }
            // A decode at a time where the kernels choose differently by its rows (ggml's F32/F16 head for one row).
            float[] out = new float[n];
            for (int b = 0; b < outputs.length; b++) {
                final int bb = b;
                int[] picked = java.util.stream.IntStream.range(0, n).filter(i -> decode[i] == bb).toArray();
                if (picked.length == 0) continue;
                int[] sources = new int[picked.length], targets = new int[picked.length];
                boolean[] gemv = new boolean[picked.length];
                for (int i = 0; i < picked.length; i++) {
                    sources[i] = layout.sources[picked[i]];
                    targets[i] = layout.targets[picked[i]];
                    gemv[i] = QuantMatrix.inRepackGemv(rank[picked[i]], outputs[b].length);
                }
                float[] ptop = top == null ? null : new float[picked.length], pent = entropy == null ? null : new float[picked.length];
                float[] lp = inference(x, sources, targets, outputs[b].length, gemv, ptop, pent);
                for (int i = 0; i < picked.length; i++) {
                    out[picked[i]] = lp[i];
                    if (top != null) top[picked[i]] = ptop[i];
                    if (entropy != null) entropy[picked[i]] = pent[i];
                }
            }
            return out;
        }
        float[] out = new float[n];
        // Vocabulary logits a chunk of positions at a time: T × vocab floats would be the
        // largest buffer of the whole forward.
        int chunk = Math.max(1, Math.min(n, LOGIT_CHUNK_FLOATS / V));
        float[] rows = new float[chunk * d], logits = new float[chunk * V];
        for (int c0 = 0; c0 < n; c0 += chunk) {
            int m = Math.min(chunk, n - c0), first = c0;
            normalisedRows(x, layout.sources, first, m, rows);
            output.matmul(rows, m, logits, par);
            float cap = cfg.features().finalSoftcap();
            // Each row on its own: the log-prob, then onehot − softmax in place (times the
            // soft cap's slope 1 − tanh² where the logits are capped).
            par.forRange(m, DecoderBlock.ROWS, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    int o = i * V, target = layout.targets[first + i];
                    if (cap > 0) SoftCap.apply(logits, o, V, cap);
                    double lse = VectorMath.logSumExp(logits, o, V);
                    out[first + i] = (float) (logits[o + target] - lse);
                    if (top != null) top[first + i] = (float) (VectorMath.max(logits, o, V) - lse);
                    // Capped logits are read again for the slope: kept (in a per-thread row) before they become −p.
                    float[] capped = cap > 0 ? CAPPED.get(V) : null;
                    if (capped != null) System.arraycopy(logits, o, capped, 0, V);
                    double[] moments = new double[2];
                    VectorMath.negatedSoftmax(logits, o, V, lse, moments);
                    logits[o + target] += 1;
                    if (cap > 0) for (int v = 0; v < V; v++) logits[o + v] *= SoftCap.slope(capped[v], cap);
                    if (logSquares != null) logSquares[first + i] = (float) Math.log(moments[0]);
                    if (entropy != null) entropy[first + i] = (float) (lse - moments[1]);
                }
            });
            output.matmulTransposedAdd(logits, m, unit, c0 * d, par);
        }
        return out;
    }

    /**
     * The inference head over predictions from sources: llama.cpp's decodes of {@code batchRows}
     * rows choose the kernel, {@code gemv} says which predictions repack.cpp's gemv makes (null: none).
     */
    private float[] inference(float[] x, int[] sources, int[] targets, int batchRows, boolean[] gemv, float[] top, float[] entropy) {
        int n = sources.length;
        float[] rows = new float[n * cfg.dim()];
        normalisedRows(x, sources, 0, n, rows);
        return OnlineLogSoftmax.logProbs(output, rows, n, batchRows, gemv, targets, cfg.features().finalSoftcap(), par, top, entropy);
    }

    /** rows[i] = the final norm of residual row sources[first + i], for m rows, on all threads. */
    void normalisedRows(float[] x, int[] sources, int first, int m, float[] rows) {
        int d = cfg.dim();
        par.forRange(m, DecoderBlock.ROWS, (i0, i1) -> {
            for (int i = i0; i < i1; i++) Ops.rmsNorm(x, sources[first + i] * d, outputNorm, rows, i * d, d, cfg.rmsEps());
        });
    }

    /** Vocabulary logits of n normalised rows (n × vocab), soft-capped where the model caps them. */
    float[] logits(float[] rows, int n) {
        float[] logits = new float[n * cfg.vocab()];
        output.matmul(rows, n, logits, par);
        float cap = cfg.features().finalSoftcap();
        if (cap > 0) SoftCap.apply(logits, 0, logits.length, cap);
        return logits;
    }
}
