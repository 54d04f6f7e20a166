package io.jdpo.llama;

import java.util.Arrays;
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
        ctx.clearMemory();
        try (Sampler sampler = new Sampler(ctx.model(), options.sampler());
             Batch batch = new Batch(ctx.params().nBatch(), 1)) {
            for (int i = 0; i < prompt.length; i++) {
                batch.add(prompt[i], i, i == prompt.length - 1, 0);
                if (batch.isFull() || i == prompt.length - 1) {
                    ctx.decode(batch);
                    if (i < prompt.length - 1) batch.clear();
                }
            }
            int lastIndex = batch.size() - 1;
            StopWatcher text = new StopWatcher(options, onText);
            Utf8Stream utf8 = new Utf8Stream();
            int[] out = new int[Math.min(options.maxTokens(), nCtx)];
            int n = 0;
            int pos = prompt.length;
            GenerationResult.StopReason reason = GenerationResult.StopReason.MAX_TOKENS;
            while (n < options.maxTokens()) {
                int token = sampler.sample(ctx, lastIndex);
                if (tokenizer.isEndOfGeneration(token)) {
                    reason = GenerationResult.StopReason.END_OF_GENERATION;
                    break;
                }
                if (n == out.length) out = Arrays.copyOf(out, out.length * 2);
                out[n++] = token;
                if (text.append(utf8.push(tokenizer.pieceBytes(token, false)))) {
                    reason = GenerationResult.StopReason.STOP_STRING;
                    break;
                }
                if (n == options.maxTokens()) break;
                if (pos >= nCtx) {
                    reason = GenerationResult.StopReason.CONTEXT_FULL;
                    break;
                }
                batch.clear();
                lastIndex = batch.add(token, pos++, true, 0);
                ctx.decode(batch);
            }
            if (reason != GenerationResult.StopReason.STOP_STRING) {
                text.append(utf8.finish());
            }
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
