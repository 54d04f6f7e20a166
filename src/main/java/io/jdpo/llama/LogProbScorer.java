package io.jdpo.llama;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores completions with llama.cpp: per-token log-probabilities of each completion given
 * its prompt. Requests are packed into as few decode calls as the context allows (many
 * sequences per batch), and with {@code sharePrompt} the completions of one request reuse
 * the prompt's KV cells, so chosen/rejected pairs decode the prompt once.
 *
 * <p>Each round empties the context's whole KV cache, so the context should serve only this
 * scorer while it runs. Holds no native memory of its own (each call makes and closes a batch
 * of {@code nBatch} tokens); for one thread at a time.
 */
public final class LogProbScorer {
    private final LlamaContext ctx;
    private final boolean sharePrompt;

    /**
     * A scorer on a context.
     *
     * @param ctx the context to decode in; {@code nSeqMax} bounds the completions per request
     *        when prompts are shared, {@code nCtx} the cells a request's prompt and completions take
     * @param sharePrompt whether a request's completions share one decode of its prompt (same
     *        log-probs within float rounding; fewer tokens decoded)
     */
    public LogProbScorer(LlamaContext ctx, boolean sharePrompt) {
        this.ctx = ctx;
        this.sharePrompt = sharePrompt;
    }

    /**
     * A scorer that shares prompts.
     *
     * @param ctx the context to decode in
     */
    public LogProbScorer(LlamaContext ctx) {
        this(ctx, true);
    }

    /**
     * Scores one completion after one prompt.
     *
     * @param prompt the prompt's tokens (at least one, e.g. BOS)
     * @param completion the completion's tokens, as they fall after the prompt
     *        ({@link Tokenizer#continuation})
     * @return the log-prob of each completion token
     * @throws IllegalArgumentException if the prompt is empty or a token id is invalid
     * @throws LlamaException as {@link #score(List)}
     */
    public TokenLogProbs score(int[] prompt, int[] completion) {
        return score(List.of(ScoreRequest.of(prompt, completion))).getFirst().getFirst();
    }

    /**
     * Scores many requests, packing as many into one KV cache fill as fit.
     *
     * @param requests prompts and completions; token ids are checked by the decode
     * @return results in request order, each with one entry per completion in its order
     * @throws LlamaException if one request alone needs more KV cells or sequences than the
     *         context has (the message names the request's index), or a decode fails
     * @throws IllegalArgumentException if a token id is outside the vocabulary
     * @throws IllegalStateException if the context is closed
     */
    public List<List<TokenLogProbs>> score(List<ScoreRequest> requests) {
        List<Unit> units = new ArrayList<>();
        float[][][] results = new float[requests.size()][][];
        for (int r = 0; r < requests.size(); r++) {
            ScoreRequest req = requests.get(r);
            results[r] = new float[req.completions().size()][];
            for (int c = 0; c < req.completions().size(); c++) {
                results[r][c] = new float[req.completions().get(c).length];
            }
            if (sharePrompt) {
                units.add(new Unit(r, req.prompt(), req.completions(), results[r]));
            } else {
                for (int c = 0; c < req.completions().size(); c++) {
                    units.add(new Unit(r, req.prompt(), List.of(req.completions().get(c)), new float[][]{results[r][c]}));
                }
            }
        }
        int nCtx = ctx.params().nCtx();
        int nSeq = ctx.params().nSeqMax();
        int start = 0;
        while (start < units.size()) {
            int cells = 0, seqs = 0, end = start;
            while (end < units.size()) {
                Unit u = units.get(end);
                if (u.cells() > nCtx || u.completions.size() > nSeq) {
                    throw new LlamaException("request " + u.request + " needs " + u.cells() + " KV cells and "
                            + u.completions.size() + " sequences; the context holds " + nCtx + " cells and "
                            + nSeq + " sequences");
                }
                if (cells + u.cells() > nCtx || seqs + u.completions.size() > nSeq) break;
                cells += u.cells();
                seqs += u.completions.size();
                end++;
            }
            scoreRound(units.subList(start, end));
            start = end;
        }
        List<List<TokenLogProbs>> out = new ArrayList<>(requests.size());
        for (float[][] perRequest : results) {
            List<TokenLogProbs> list = new ArrayList<>(perRequest.length);
            for (float[] lp : perRequest) list.add(TokenLogProbs.of(lp));
            out.add(list);
        }
        return out;
    }

    /** Decodes the prompts of a set of units that fit the cache together, then their completions. */
    private void scoreRound(List<Unit> round) {
        ctx.clearMemory();
        int seq = 0;
        for (Unit u : round) {
            u.firstSeq = seq;
            seq += u.completions.size();
        }
        try (Batch batch = new Batch(ctx.params().nBatch(), 1)) {
            Feeder feeder = new Feeder(batch);
            for (Unit u : round) {
                for (int i = 0; i < u.prompt.length; i++) {
                    boolean last = i == u.prompt.length - 1;
                    List<Target> targets = new ArrayList<>();
                    if (last) {
                        for (int c = 0; c < u.completions.size(); c++) {
                            if (u.completions.get(c).length > 0) {
                                targets.add(new Target(u.out[c], 0, u.completions.get(c)[0]));
                            }
                        }
                    }
                    feeder.add(u.prompt[i], i, u.firstSeq, targets);
                }
            }
            feeder.flush();
            for (Unit u : round) {
                for (int c = 1; c < u.completions.size(); c++) {
                    ctx.copySequence(u.firstSeq, u.firstSeq + c);
                }
            }
            for (Unit u : round) {
                for (int c = 0; c < u.completions.size(); c++) {
                    int[] comp = u.completions.get(c);
                    for (int i = 0; i < comp.length; i++) {
                        List<Target> targets = i + 1 < comp.length
                                ? List.of(new Target(u.out[c], i + 1, comp[i + 1])) : List.of();
                        feeder.add(comp[i], u.prompt.length + i, u.firstSeq + c, targets);
                    }
                }
            }
            feeder.flush();
        }
    }

    /** Fills batches, decodes them when full, and turns the wanted logits into log-probs. */
    private final class Feeder {
        private final Batch batch;
        private final List<List<Target>> pending = new ArrayList<>();
        private final List<Integer> pendingIndex = new ArrayList<>();
        private final float[] logits = new float[ctx.vocabularySize()];

        Feeder(Batch batch) {
            this.batch = batch;
        }

        void add(int token, int pos, int seq, List<Target> targets) {
            if (batch.isFull()) flush();
            int idx = batch.add(token, pos, !targets.isEmpty(), seq);
            if (!targets.isEmpty()) {
                pending.add(targets);
                pendingIndex.add(idx);
            }
        }

        void flush() {
            if (batch.size() == 0) return;
            ctx.decode(batch);
            for (int k = 0; k < pending.size(); k++) {
                ctx.logitsInto(pendingIndex.get(k), logits);
                double norm = LogSoftmax.logSumExp(logits);
                for (Target t : pending.get(k)) {
                    t.out[t.index] = (float) (logits[t.token] - norm);
                }
            }
            pending.clear();
            pendingIndex.clear();
            batch.clear();
        }
    }

    private record Target(float[] out, int index, int token) {
    }

    private static final class Unit {
        final int request;
        final int[] prompt;
        final List<int[]> completions;
        final float[][] out;
        int firstSeq;

        Unit(int request, int[] prompt, List<int[]> completions, float[][] out) {
            this.request = request;
            this.prompt = prompt;
            this.completions = completions;
            this.out = out;
        }

        int cells() {
            int n = prompt.length;
            for (int[] c : completions) n += c.length;
            return n;
        }
    }
}
