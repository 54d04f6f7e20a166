package io.jdpo.model;

import io.jdpo.gguf.ImportanceMatrix;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accumulates an importance matrix from the Java forward: for every projection of every
 * layer, the sum over tokens of the squares of its input's columns (the normalised residual
 * for Q/K/V and gate/up, the attention output for attn_output, the gated MLP product for
 * ffn_down), as llama-imatrix does from llama.cpp's graph. Q, K and V share one input, as do
 * gate and up; each tensor still gets its own entry, as llama-imatrix writes them.
 * Not thread-safe; the model stays owned by the caller.
 */
public final class ImportanceCollector {
    private final Transformer model;
    private final double[][][] sums;
    /** Per layer and input, the sums of x_i·x_j (n × n), when asked for. */
    private final double[][][] cross;
    private long tokens;
    private int sequences;

    /**
     * A collector of the per-column sums of squares only.
     *
     * @param model the model whose forward is run; used without an adapter unless one is set
     */
    public ImportanceCollector(Transformer model) {
        this(model, false);
    }

    /**
     * A collector, optionally of the full second moments too.
     *
     * @param model         the model whose forward is run
     * @param secondMoments also accumulate every input's full second-moment matrix (n² values
     *                      per input: for small models; a 4096-wide input takes 128 MiB)
     */
    public ImportanceCollector(Transformer model, boolean secondMoments) {
        this.model = model;
        ModelConfig c = model.config();
        int[] widths = {c.dim(), c.qDim(), c.dim(), c.ffn()};
        this.sums = new double[c.layers()][4][];
        this.cross = secondMoments ? new double[c.layers()][4][] : null;
        for (int l = 0; l < c.layers(); l++) {
            for (int k = 0; k < 4; k++) {
                sums[l][k] = new double[widths[k]];
                if (cross != null) cross[l][k] = new double[widths[k] * widths[k]];
            }
        }
    }

    /**
     * The memory the full second moments of a model take in this collector (n² doubles per
     * layer and input), for choosing whether to ask for them.
     *
     * @param c the model's shape
     * @return bytes
     */
    public static long secondMomentBytes(ModelConfig c) {
        long perLayer = 0;
        for (long n : new long[]{c.dim(), c.qDim(), c.dim(), c.ffn()}) perLayer += n * n;
        return perLayer * Double.BYTES * c.layers();
    }

    /**
     * Runs a preference pair (prompt once, both completions) and adds its activations.
     *
     * @param prompt   the prompt's tokens, not empty
     * @param chosen   the chosen completion's tokens
     * @param rejected the rejected completion's tokens
     * @throws IllegalArgumentException as {@link Transformer#forwardPair(int[], int[], int[], boolean)}
     */
    public void addPair(int[] prompt, int[] chosen, int[] rejected) {
        add(model.forwardPair(prompt, chosen, rejected, false));
    }

    /**
     * Runs a token sequence and adds its activations (every position's).
     *
     * @param tokens the sequence, at least one token
     * @throws IllegalArgumentException if a token lies outside the vocabulary or the sequence exceeds the context
     */
    public void addSequence(int[] tokens) {
        add(model.forward(tokens, Math.max(1, tokens.length - 1), false));
    }

    private void add(ForwardPass pass) {
        int T = pass.tokens();
        ModelConfig c = model.config();
        for (int l = 0; l < sums.length; l++) {
            LayerActivations a = pass.layer(l);
            float[][] inputs = {a.h1, a.att, a.h2, a.act};
            for (int k = 0; k < 4; k++) {
                accumulate(inputs[k], T, sums[l][k].length, sums[l][k]);
                if (cross != null) accumulateCross(inputs[k], T, sums[l][k].length, cross[l][k]);
            }
        }
        model.recycle(pass.kept);
        tokens += T;
        sequences++;
    }

    private static void accumulate(float[] x, int T, int n, double[] into) {
        for (int t = 0; t < T; t++) {
            int o = t * n;
            for (int i = 0; i < n; i++) into[i] += (double) x[o + i] * x[o + i];
        }
    }

    private static void accumulateCross(float[] x, int T, int n, double[] into) {
        for (int t = 0; t < T; t++) {
            int o = t * n;
            for (int i = 0; i < n; i++) {
                double xi = x[o + i];
                if (xi == 0) continue;
                int r = i * n;
                for (int j = 0; j < n; j++) into[r + j] += xi * x[o + j];
            }
        }
    }

    /** {@return the positions added so far (a pair counts its prompt once)} */
    public long tokens() {
        return tokens;
    }

    /**
     * The matrix so far; later additions do not change it.
     *
     * @param dataset names the data it was computed on (written to the file's metadata)
     * @return entries for attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up and ffn_down of every
     *         layer (copies), with the token count; the sequences added are its chunk count
     */
    public ImportanceMatrix result(String dataset) {
        Map<String, ImportanceMatrix.Entry> entries = new LinkedHashMap<>();
        Map<LoraTarget, Integer> input = new EnumMap<>(LoraTarget.class);
        input.put(LoraTarget.ATTN_Q, 0);
        input.put(LoraTarget.ATTN_K, 0);
        input.put(LoraTarget.ATTN_V, 0);
        input.put(LoraTarget.ATTN_OUTPUT, 1);
        input.put(LoraTarget.FFN_GATE, 2);
        input.put(LoraTarget.FFN_UP, 2);
        input.put(LoraTarget.FFN_DOWN, 3);
        for (int l = 0; l < sums.length; l++) {
            for (var e : input.entrySet()) {
                entries.put("blk." + l + "." + e.getKey().tensor() + ".weight", new ImportanceMatrix.Entry(sums[l][e.getValue()].clone(), tokens,
                        cross == null ? null : cross[l][e.getValue()].clone()));
            }
        }
        return new ImportanceMatrix(entries, dataset, sequences, 0);
    }
}
