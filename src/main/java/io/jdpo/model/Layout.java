package io.jdpo.model;

/**
 * A packed sequence and who sees whom in it. Rows fall into segments {start, end, shared}:
 * a row t of a segment attends to keys [0, shared) and [start, t]. A plain sequence is one
 * causal segment; a preference pair is its prompt followed by both completions, each
 * completion seeing the prompt and itself but not the other, with rope positions continuing
 * from the prompt in both. The prompt then goes through the model once for both completions.
 * Predictions: hidden row {@code sources[i]} predicts token {@code targets[i]}; those of
 * branch b are [branchStarts[b], branchStarts[b + 1]).
 */
final class Layout {
    final int[] tokens;
    final int[] positions;
    final int[][] segments;
    final int[] sources;
    final int[] targets;
    final int[] branchStarts;

    private Layout(int[] tokens, int[] positions, int[][] segments, int[] sources, int[] targets, int[] branchStarts) {
        this.tokens = tokens;
        this.positions = positions;
        this.segments = segments;
        this.sources = sources;
        this.targets = targets;
        this.branchStarts = branchStarts;
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
        return new Layout(tokens, pos, new int[][]{{0, T, 0}}, src, tgt, new int[]{0, n});
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
        return new Layout(tokens, pos, new int[][]{{0, P, 0}, {P, P + c, P}, {P + c, T, P}}, src, tgt, new int[]{0, c, c + r});
    }

    int length() {
        return tokens.length;
    }

    /**
     * The rows llama.cpp keeps after the last layer's attention when it scores this sequence:
     * the predicting rows, {first, count}, when they are one run of rows (a plain sequence);
     * null for a pair. The deployed arithmetic's kernel choices depend on a product's row count.
     */
    int[] outputRows() {
        if (sources.length == 0) return null;
        for (int i = 1; i < sources.length; i++) if (sources[i] != sources[0] + i) return null;
        return new int[]{sources[0], sources.length};
    }

    /** The longest rope position plus one: what the model's context must hold. */
    int span() {
        int max = 0;
        for (int p : positions) max = Math.max(max, p + 1);
        return max;
    }
}
