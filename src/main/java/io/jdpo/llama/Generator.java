package io.jdpo.llama;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Text generation on sequence 0 of a context: decodes the prompt, then samples token by
 * token, streaming text to a callback as characters complete, until an end-of-generation
 * token, a stop string, the token limit, or a full context. Each generation empties the
 * context's whole KV cache first and builds its own sampler and batch (closed before it
 * returns). The generator holds no native memory of its own; for one thread at a time.
 */
public final class Generator {
    private final LlamaContext ctx;
    private final Tokenizer tokenizer;

    /**
     * A generator on a context.
     *
     * @param ctx the context to generate in; it must stay open while the generator is used
     */
    public Generator(LlamaContext ctx) {
        this.ctx = ctx;
        this.tokenizer = ctx.model().tokenizer();
    }

    /**
     * As {@link #generate(String, GenerationOptions, Consumer)}, without streaming.
     *
     * @param prompt the prompt text
     * @param options limits, sampler and stop strings
     * @return the generated text and tokens, and why generation stopped
     * @throws LlamaException as the three-argument form
     */
    public GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, s -> { });
    }

    /**
     * Tokenizes the prompt the way llama.cpp's tools do (BOS added per the model, control-token
     * text parsed when {@link GenerationOptions#parseSpecial()}), then generates.
     *
     * @param prompt the prompt text
     * @param options limits, sampler and stop strings
     * @param onText receives the text in order as it becomes final, on the calling thread
     * @return the generated text and tokens, and why generation stopped
     * @throws IllegalArgumentException if the prompt tokenizes to nothing
     * @throws LlamaException as {@link #generate(int[], GenerationOptions, Consumer)}
     */
    public GenerationResult generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generate(tokenizer.tokenize(prompt, true, options.parseSpecial()), options, onText);
    }

    /**
     * Decodes the prompt on sequence 0 (in chunks of {@code nBatch}) and samples from there.
     * {@code onText} sees only text that can no longer become part of a stop string, and never
     * the stop string itself; the pieces it sees join to the result's text.
     *
     * @param prompt the prompt's token ids, at least one and fewer than {@code nCtx}
     * @param options limits, sampler and stop strings
     * @param onText receives the text in order as it becomes final, on the calling thread
     * @return the generated text and tokens (the end-of-generation token excluded), and why it stopped
     * @throws IllegalArgumentException if the prompt is empty or holds an invalid token id
     * @throws LlamaException if the prompt leaves no room in the context, the sampler cannot be
     *         built, or a decode fails
     * @throws IllegalStateException if the context or its model is closed
     */
    public GenerationResult generate(int[] prompt, GenerationOptions options, Consumer<String> onText) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("empty prompt");
        }
        int nCtx = ctx.params().nCtx();
        if (prompt.length >= nCtx) {
            throw new LlamaException("prompt of " + prompt.length + " tokens leaves no room in a context of " + nCtx);
        }
        return run(prompt, List.of(options), List.of(onText)).getFirst();
    }

    /**
     * Samples one completion per entry of {@code options} after the same prompt, all at once:
     * the prompt is decoded once on sequence 0 and its KV cells shared with sequences 1 to
     * n − 1, then every step decodes the next token of each unfinished completion in one
     * batch. A batch of n tokens costs far less than n single-token decodes (the weights are
     * read once per step): four completions together sampled 1.2 to 1.6 times the tokens per
     * second of one (scripts/bench/sampling.sh). Each completion
     * has its own sampler, seed and stop strings, and ends as {@link #generate} would end it
     * (end of generation, stop string, token limit).
     *
     * @param prompt the prompt's token ids, at least one
     * @param options one entry per completion, at most {@code nSeqMax}
     * @return the completions, in the order of {@code options}
     * @throws IllegalArgumentException if the prompt or {@code options} is empty, there are
     *         more completions than sequences, or the prompt and every completion's token
     *         limit together exceed the context's cells
     * @throws LlamaException if the sampler cannot be built or a decode fails
     * @throws IllegalStateException if the context or its model is closed
     */
    public List<GenerationResult> generateAll(int[] prompt, List<GenerationOptions> options) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        if (options.isEmpty()) throw new IllegalArgumentException("no completion asked for");
        int nSeq = ctx.params().nSeqMax(), nCtx = ctx.params().nCtx();
        if (options.size() > nSeq) {
            throw new IllegalArgumentException(options.size() + " completions need as many sequences; the context has " + nSeq);
        }
        long cells = prompt.length;
        for (GenerationOptions o : options) cells += o.maxTokens();
        if (cells > nCtx) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens and " + options.size()
                    + " completions up to their token limits need " + cells + " KV cells; the context has " + nCtx);
        }
        List<Consumer<String>> quiet = new ArrayList<>(options.size());
        for (int j = 0; j < options.size(); j++) quiet.add(s -> { });
        return run(prompt, options, quiet);
    }

    /** Decodes the prompt on sequence 0, shares it with one sequence per completion, and samples them together. */
    private List<GenerationResult> run(int[] prompt, List<GenerationOptions> options, List<Consumer<String>> sinks) {
        int nCtx = ctx.params().nCtx();
        ctx.clearMemory();
        List<Completion> all = new ArrayList<>(options.size());
        try (Batch batch = new Batch(Math.max(ctx.params().nBatch(), options.size()), 1)) {
            for (int j = 0; j < options.size(); j++) all.add(new Completion(j, options.get(j), sinks.get(j)));
            for (int i = 0; i < prompt.length; i++) {
                batch.add(prompt[i], i, i == prompt.length - 1, 0);
                if (batch.isFull() || i == prompt.length - 1) {
                    ctx.decode(batch);
                    if (i < prompt.length - 1) batch.clear();
                }
            }
            int promptLast = batch.size() - 1;
            for (Completion c : all) {
                if (c.seq > 0) ctx.copySequence(0, c.seq);
                c.logitsIndex = promptLast;
                c.pos = prompt.length;
            }
            while (true) {
                batch.clear();
                for (Completion c : all) {
                    if (c.reason != null) continue;
                    int token = c.next();
                    if (token < 0) continue;
                    if (c.pos >= nCtx) {
                        c.reason = GenerationResult.StopReason.CONTEXT_FULL;
                        continue;
                    }
                    c.logitsIndex = batch.add(token, c.pos++, true, c.seq);
                }
                if (batch.size() == 0) break;
                ctx.decode(batch);
            }
            List<GenerationResult> out = new ArrayList<>(all.size());
            for (Completion c : all) out.add(c.finish());
            return out;
        } finally {
            for (Completion c : all) c.sampler.close();
        }
    }

    /** One completion being sampled: its sequence, sampler, text and tokens so far, and why it stopped (null while it runs). */
    private final class Completion {
        final int seq;
        final GenerationOptions options;
        final Sampler sampler;
        final StopWatcher text;
        final Utf8Stream utf8 = new Utf8Stream();
        int[] out;
        int n, pos, logitsIndex;
        GenerationResult.StopReason reason;

        Completion(int seq, GenerationOptions options, Consumer<String> sink) {
            this.seq = seq;
            this.options = options;
            this.sampler = new Sampler(ctx.model(), options.sampler());
            this.text = new StopWatcher(options, sink);
            this.out = new int[Math.max(1, Math.min(options.maxTokens(), ctx.params().nCtx()))];
            if (options.maxTokens() == 0) reason = GenerationResult.StopReason.MAX_TOKENS;
        }

        /** Samples the next token; returns it when it must be decoded for the one after, else -1 (and sets the reason). */
        int next() {
            int token = sampler.sample(ctx, logitsIndex);
            if (tokenizer.isEndOfGeneration(token)) {
                reason = GenerationResult.StopReason.END_OF_GENERATION;
                return -1;
            }
            if (n == out.length) out = Arrays.copyOf(out, out.length * 2);
            out[n++] = token;
            if (text.append(utf8.push(tokenizer.pieceBytes(token, false)))) {
                reason = GenerationResult.StopReason.STOP_STRING;
                return -1;
            }
            if (n == options.maxTokens()) {
                reason = GenerationResult.StopReason.MAX_TOKENS;
                return -1;
            }
            return token;
        }

        GenerationResult finish() {
            if (reason != GenerationResult.StopReason.STOP_STRING) text.append(utf8.finish());
            return new GenerationResult(text.finish(), Arrays.copyOf(out, n), reason);
        }
    }

    /**
     * Accumulates text, cuts it at the first stop string, and streams only the part that can
     * no longer turn into a stop string.
     */
    private static final class StopWatcher {
        private final GenerationOptions options;
        private final Consumer<String> sink;
        private final int holdBack;
        private final StringBuilder text = new StringBuilder();
        private int emitted;

        StopWatcher(GenerationOptions options, Consumer<String> sink) {
            this.options = options;
            this.sink = sink;
            this.holdBack = options.stopStrings().stream().mapToInt(String::length).max().orElse(1) - 1;
        }

        /** Returns true when a stop string appeared. */
        boolean append(String chunk) {
            if (chunk.isEmpty()) return false;
            text.append(chunk);
            int from = Math.max(0, emitted - holdBack);
            int stop = -1;
            for (String s : options.stopStrings()) {
                int at = text.indexOf(s, from);
                if (at >= 0 && (stop < 0 || at < stop)) stop = at;
            }
            if (stop >= 0) {
                text.setLength(stop);
                emitUpTo(stop);
                return true;
            }
            emitUpTo(Math.max(emitted, text.length() - holdBack));
            return false;
        }

        String finish() {
            emitUpTo(text.length());
            return text.toString();
        }

        private void emitUpTo(int end) {
            if (end > emitted) {
                sink.accept(text.substring(emitted, end));
                emitted = end;
            }
        }
    }
}
