package io.jdpo.loop;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.GenerationOptions;
import io.jdpo.llama.GenerationResult;
import io.jdpo.llama.Generator;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.llama.ModelParams;
import io.jdpo.llama.ScoreRequest;
import io.jdpo.llama.TokenLogProbs;
import io.jdpo.llama.Tokenizer;
import io.jdpo.progress.TrainListener;
import io.jdpo.verify.Reward;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * llama.cpp's side of the loop: one model load and one running context for the whole run.
 * It samples completions from base + the current adapter, scores each under the policy
 * (adapter attached) and the reference (adapter detached) in the same context, and takes
 * the next adapter by hot-swapping it in (load, detach the old one, attach: the model and
 * context are never reloaded).
 */
public final class RolloutSampler implements AutoCloseable {
    private final LlamaModel model;
    private final LlamaContext ctx;
    private final Generator generator;
    private final LogProbScorer scorer;
    private final Tokenizer tokenizer;
    private LoraAdapter adapter, referenceAdapter;

    /**
     * Loads the model and opens a context big enough to score {@code samples} completions of
     * {@code maxTokens} tokens after a prompt of {@code maxPromptTokens}, all at once.
     *
     * @param model the base GGUF (the reference)
     * @param maxPromptTokens the longest prompt that will be sampled from, in tokens
     * @param samples completions per prompt scored together (>= 1)
     * @param maxTokens the longest completion, in tokens (an end-of-generation token comes on top)
     * @param threads llama.cpp threads
     * @param gpuLayers layers llama.cpp offloads to the GPU ({@link Sampling#gpuLayers()})
     */
    public RolloutSampler(Path model, int maxPromptTokens, int samples, int maxTokens, int threads, int gpuLayers) {
        this.model = LlamaModel.load(model, ModelParams.defaults().withGpuLayers(gpuLayers));
        try {
            // The context never exceeds the model's trained length (llama.cpp refuses it); larger sets of samples are scored in chunks.
            int cells = maxPromptTokens + samples * (maxTokens + 1) + 8;
            int nCtx = Math.min(this.model.trainingContextLength(), Math.max(256, Integer.highestOneBit(cells - 1) << 1));
            if (maxPromptTokens + maxTokens + 2 > nCtx) {
                throw new IllegalArgumentException("prompts of up to " + maxPromptTokens + " tokens and " + maxTokens
                        + " new tokens do not fit the model's context of " + nCtx);
            }
            this.ctx = LlamaContext.create(this.model, ContextParams.of(nCtx).withSequences(samples).withThreads(threads));
        } catch (RuntimeException e) {
            this.model.close();
            throw e;
        }
        this.generator = new Generator(ctx);
        this.scorer = new LogProbScorer(ctx);
        this.tokenizer = this.model.tokenizer();
    }

    /**
     * The model's tokenizer (prompts are tokenized with it, BOS added as llama.cpp's tools do).
     *
     * @return the tokenizer of the loaded model
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * Makes the reference base + {@code file} (an SFT adapter) instead of the base alone: it
     * is attached whenever the policy's adapter is not. Call before sampling.
     *
     * @param file a llama.cpp LoRA GGUF for this model
     */
    public void referenceAdapter(Path file) {
        if (referenceAdapter != null) throw new IllegalStateException("the reference adapter is set once");
        referenceAdapter = LoraAdapter.load(model, file);
        if (adapter == null) ctx.attach(referenceAdapter, 1f);
    }

    /**
     * Hot-swaps the policy's adapter: loads {@code file} into the running model, detaches and
     * frees the previous adapter, attaches the new one at scale 1. The context keeps its
     * memory and settings; only the adapter's tensors are read.
     *
     * @param file a llama.cpp LoRA GGUF for this model, or null for the base alone
     * @return the seconds the swap took (load + detach + attach)
     */
    public double swap(Path file) {
        long t0 = System.nanoTime();
        LoraAdapter next = file == null ? null : LoraAdapter.load(model, file);
        if (adapter != null) {
            ctx.detach(adapter);
            adapter.close();
        }
        adapter = next;
        // The policy's adapter replaces the reference's (a policy started from it carries it whole).
        if (referenceAdapter != null) {
            if (adapter == null) ctx.attach(referenceAdapter, 1f);
            else ctx.detach(referenceAdapter);
        }
        if (adapter != null) ctx.attach(adapter, 1f);
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Samples {@code k} completions of every prompt from the current policy and scores them.
     *
     * @param prompts tokenized prompts
     * @param k completions per prompt
     * @param sampling sampling settings; completion j of prompt i in {@code round} uses seed
     *                 {@link Sampling#options}(round, i, j)
     * @param round the round (or evaluation point) these samples belong to
     * @param reward the reward of a completion's text
     * @param listener progress ("sample": prompts done of all)
     * @return per prompt, its k scored completions
     */
    public List<List<Rollout>> sample(List<int[]> prompts, int k, Sampling sampling, long round, Reward reward, TrainListener listener) {
        List<List<Rollout>> out = new ArrayList<>(prompts.size());
        long tokens = 0;
        for (int i = 0; i < prompts.size(); i++) {
            int[] prompt = prompts.get(i);
            List<int[]> completions = new ArrayList<>(k);
            List<String> texts = new ArrayList<>(k);
            boolean[] eos = new boolean[k];
            List<GenerationResult> generated = generate(prompt, k, sampling, round, i);
            for (int j = 0; j < k; j++) {
                GenerationResult g = generated.get(j);
                eos[j] = g.stopReason() == GenerationResult.StopReason.END_OF_GENERATION;
                // Never empty: an immediate end of generation leaves the EOS, and a stop string keeps the token that carried it.
                int[] t = eos[j] ? append(g.tokens(), tokenizer.eos()) : g.tokens();
                completions.add(t);
                texts.add(g.text());
                tokens += t.length;
            }
            List<TokenLogProbs> policy = score(prompt, completions);
            List<TokenLogProbs> reference = referenceScores(prompt, completions);
            List<Rollout> group = new ArrayList<>(k);
            for (int j = 0; j < k; j++) {
                group.add(new Rollout(i, completions.get(j), texts.get(j), reward.score(texts.get(j)),
                        policy.get(j).logProbs(), reference.get(j).logProbs(), eos[j]));
            }
            out.add(group);
            listener.progress("sample", i + 1, prompts.size(), tokens);
        }
        return out;
    }

    /**
     * The k completions of prompt i, sampled together in as few groups as the context holds
     * (each group shares one decode of the prompt and decodes its completions' tokens in one
     * batch per step; Generator.generateAll).
     */
    private List<GenerationResult> generate(int[] prompt, int k, Sampling sampling, long round, int i) {
        int room = (ctx.params().nCtx() - prompt.length) / sampling.maxTokens();
        int group = Math.max(1, Math.min(k, Math.min(ctx.params().nSeqMax(), room)));
        List<GenerationResult> out = new ArrayList<>(k);
        for (int j0 = 0; j0 < k; j0 += group) {
            List<GenerationOptions> options = new ArrayList<>(group);
            for (int j = j0; j < Math.min(k, j0 + group); j++) options.add(sampling.options(round, i, j));
            out.addAll(generator.generateAll(prompt, options));
        }
        return out;
    }

    /**
     * llama.cpp's log-probs of completions under the reference (the base, or base + the
     * reference adapter): the policy's adapter is detached for the call and attached again
     * after it, in the same context.
     *
     * @param prompt the tokenized prompt
     * @param completions the completions to score
     * @return per completion, its per-token log-probs under the reference
     */
    public List<TokenLogProbs> referenceScores(int[] prompt, List<int[]> completions) {
        if (adapter == null) return score(prompt, completions);
        ctx.detach(adapter);
        if (referenceAdapter != null) ctx.attach(referenceAdapter, 1f);
        try {
            return score(prompt, completions);
        } finally {
            if (referenceAdapter != null) ctx.detach(referenceAdapter);
            ctx.attach(adapter, 1f);
        }
    }

    /** Scores completions of one prompt under what is attached now, as requests that each fit the context (the prompt's cells shared within a request). */
    private List<TokenLogProbs> score(int[] prompt, List<int[]> completions) {
        int nCtx = ctx.params().nCtx(), nSeq = ctx.params().nSeqMax();
        List<ScoreRequest> requests = new ArrayList<>();
        List<int[]> chunk = new ArrayList<>();
        int cells = prompt.length;
        for (int[] c : completions) {
            if (!chunk.isEmpty() && (cells + c.length > nCtx || chunk.size() == nSeq)) {
                requests.add(new ScoreRequest(prompt, chunk));
                chunk = new ArrayList<>();
                cells = prompt.length;
            }
            chunk.add(c);
            cells += c.length;
        }
        requests.add(new ScoreRequest(prompt, chunk));
        List<TokenLogProbs> out = new ArrayList<>(completions.size());
        for (List<TokenLogProbs> r : scorer.score(requests)) out.addAll(r);
        return out;
    }

    private static int[] append(int[] a, int v) {
        int[] b = Arrays.copyOf(a, a.length + 1);
        b[a.length] = v;
        return b;
    }

    /** Frees the adapter, the context and the model. */
    @Override
    public void close() {
        try (model; ctx) {
            if (adapter != null) adapter.close();
            if (referenceAdapter != null) referenceAdapter.close();
        }
    }
}
