package io.jdpo.model;

/**
 * A packed sequence and who sees whom in it. Rows fall into segments {start, end, shared}:
 * a row t of a segment attends to keys [0, shared) and [start, t]. A plain sequence is one
 * causal segment; a preference pair is its prompt followed by both completions, each
 * completion seeing the prompt and itself but not the other, with rope positions continuing
 * from the prompt in both. The prompt then goes through the model once for both completions.
 * Predictions: hidden row {@code sources[i]} predicts token {@code targets[i]}; those of
 * branch b are [branchStarts[b], branchStarts[b + 1]).
 * <p>
 * Rows are also llama.cpp's KV cells and its decode batches, as its scorer feeds the layout to
 * an empty cache: a sequence in one decode; a pair's prompt in one, then both completions in a
 * second (the chosen completion's cells, then the rejected one's). The deployed arithmetic
 * follows both: ggml's kernels choose their float order by a batch's rows, and a key's cell
 * decides its lane in attention.
 */
final class Layout {
    final int[] tokens;
    final int[] positions;
    final int[][] segments;
    final int[] sources;
    final int[] targets;
    final int[] branchStarts;
    /** llama.cpp's decodes of this layout, in order: rows {start, end} each. */
    final int[][] batches;

    private Layout(int[] tokens, int[] positions, int[][] segments, int[] sources, int[] targets, int[] branchStarts, int[][] batches) {
        this.tokens = tokens;
        this.positions = positions;
        this.segments = segments;
        this.sources = sources;
        this.targets = targets;
        this.branchStarts = branchStarts;
        this.batches = batches;
    }

    /** tokens with predictions of tokens[from..T): causal over the whole sequence. */
    static Layout sequence(int[] tokens, int from) {
        int T = tokens.length, n = T - from;
        int[] pos = new int[T], src = new int[n], tgt = new int[n];
        for (int t = 0; t < T; t++) pos[t] = t;
        for (int i = 0; i < n; i++) {
            src[i] = from - 1 + i;
            tgt[i] = tokens[from + i];
        }
        return new Layout(tokens, pos, new int[][]{{0, T, 0}}, src, tgt, new int[]{0, n}, new int[][]{{0, T}});
    }

    /** prompt ++ chosen ++ rejected, both completions continuing the one prompt. */
    static Layout pair(int[] prompt, int[] chosen, int[] rejected) {
        int P = prompt.length, c = chosen.length, r = rejected.length, T = P + c + r;
        if (P < 1) throw new IllegalArgumentException("the prompt needs at least one token");
        int[] tokens = new int[T], pos = new int[T], src = new int[c + r], tgt = new int[c + r];
        System.arraycopy(prompt, 0, tokens, 0, P);
        System.arraycopy(chosen, 0, tokens, P, c);
        System.arraycopy(rejected, 0, tokens, P + c, r);
        for (int t = 0; t < P + c; t++) pos[t] = t;
        for (int i = 0; i < r; i++) pos[P + c + i] = P + i;
        for (int i = 0; i < c; i++) {
            src[i] = i == 0 ? P - 1 : P + i - 1;
            tgt[i] = chosen[i];
        }
        for (int i = 0; i < r; i++) {
            src[c + i] = i == 0 ? P - 1 : P + c + i - 1;
            tgt[c + i] = rejected[i];
        }
        return new Layout(tokens, pos, new int[][]{{0, P, 0}, {P, P + c, P}, {P + c, T, P}}, src, tgt, new int[]{0, c, c + r},
                T > P ? new int[][]{{0, P}, {P, T}} : new int[][]{{0, P}});
    }

    int length() {
        return tokens.length;
    }

    /** Each decode's rows, in order: [start, end) of {@link #batches}. */
    int[][] batchRows() {
        int[][] out = new int[batches.length][];
        for (int b = 0; b < batches.length; b++) {
            out[b] = new int[batches[b][1] - batches[b][0]];
            for (int i = 0; i < out[b].length; i++) out[b][i] = batches[b][0] + i;
        }
        return out;
    }

    /**
     * The rows each decode keeps after the last layer's attention: its predicting rows (each
     * once, in row order), which llama.cpp gathers into a batch of their own for the last MLP.
     * A decode that predicts nothing keeps none.
     */
    int[][] outputBatches() {
        boolean[] predicts = new boolean[length()];
        for (int s : sources) predicts[s] = true;
        int[][] out = new int[batches.length][];
        for (int b = 0; b < batches.length; b++) {
            int n = 0;
            for (int t = batches[b][0]; t < batches[b][1]; t++) if (predicts[t]) n++;
            out[b] = new int[n];
            for (int t = batches[b][0], i = 0; t < batches[b][1]; t++) if (predicts[t]) out[b][i++] = t;
        }
        return out;
    }

    /** The longest rope position plus one: what the model's context must hold. */
    int span() {
        int max = 0;
        for (int p : positions) max = Math.max(max, p + 1);
        return max;
    }
}
