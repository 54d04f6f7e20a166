package io.jdpo.llama;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Text generation on sequence 0 of a context: decodes the prompt, then samples token by
 * token, streaming text to a callback as characters complete, until an end-of-generation
 * token, a stop string, the token limit, or a full context.
 */
public final class Generator {
    private final LlamaContext ctx;
    private final Tokenizer tokenizer;

    public Generator(LlamaContext ctx) {
        this.ctx = ctx;
        this.tokenizer = ctx.model().tokenizer();
    }

    public GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, s -> { });
    }

    /** Tokenizes the prompt the way llama.cpp's tools do (special tokens added), then generates. */
    public GenerationResult generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generate(tokenizer.tokenize(prompt, true, options.parseSpecial()), options, onText);
    }

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
