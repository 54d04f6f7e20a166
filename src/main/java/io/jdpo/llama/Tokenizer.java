package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * llama.cpp's own tokenizer for a model: the exact token ids the model was trained with.
 * Valid while its model is open: every method holds the model open for its call and throws
 * {@link IllegalStateException} once the model is closed. Thread-safe (llama.cpp only reads
 * the vocabulary).
 */
public final class Tokenizer {
    private final LlamaModel model;
    private final MemorySegment vocab;

    Tokenizer(LlamaModel model, MemorySegment vocab) {
        this.model = model;
        this.vocab = vocab;
    }

    /** The vocabulary lives inside the model: every call holds the model open (see NativeHandle). */
    private <T> T withVocab(java.util.function.Function<MemorySegment, T> body) {
        return model.call(m -> body.apply(vocab));
    }

    /**
     * {@return the number of tokens; valid ids are [0, vocabularySize())}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int vocabularySize() {
        return withVocab(LlamaH::llama_vocab_n_tokens);
    }

    /**
     * Tokenizes text. {@code addSpecial} adds BOS (and EOS) where the model's add-BOS rules
     * say so; {@code parseSpecial} lets text like "&lt;|im_start|&gt;" become control tokens.
     *
     * @param text the text (any length; empty gives at most the BOS)
     * @param addSpecial whether to add BOS/EOS as the model's metadata asks
     * @param parseSpecial whether control-token text in {@code text} becomes control tokens
     *        (leave off for untrusted text, so it cannot inject them)
     * @return the token ids
     * @throws LlamaException if the token count would overflow an int
     * @throws IllegalStateException if the model is closed
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        return withVocab(v -> tokenize(v, text, addSpecial, parseSpecial));
    }

    private static int[] tokenize(MemorySegment v, String text, boolean addSpecial, boolean parseSpecial) {
        try (Arena arena = Arena.ofConfined()) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment str = arena.allocate(Math.max(1, utf8.length));
            MemorySegment.copy(utf8, 0, str, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int capacity = utf8.length + 8;
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, capacity);
            int n = LlamaH.llama_tokenize(v, str, utf8.length, out, capacity, addSpecial, parseSpecial);
            if (n == Integer.MIN_VALUE) {
                throw new LlamaException("tokenization of " + utf8.length + " bytes overflows int32");
            }
            if (n < 0) {
                capacity = -n;
                out = arena.allocate(ValueLayout.JAVA_INT, capacity);
                n = LlamaH.llama_tokenize(v, str, utf8.length, out, capacity, addSpecial, parseSpecial);
            }
            return out.asSlice(0, (long) n * Integer.BYTES).toArray(ValueLayout.JAVA_INT);
        }
    }

    /**
     * Tokenizes with the model's BOS/EOS rules, reading control-token text as plain text:
     * {@code tokenize(text, true, false)}.
     *
     * @param text the text
     * @return the token ids
     * @throws IllegalStateException if the model is closed
     */
    public int[] tokenize(String text) {
        return tokenize(text, true, false);
    }

    /**
     * The tokens of {@code completion} as they fall when it follows {@code prompt}: the text is
     * tokenized whole and the prompt's tokens are cut off. Tokenizing a completion on its own
     * is not the same: SentencePiece turns the leading space of " 4" into a lone space token
     * (or a different first piece), so its log-prob would score text the model never sees.
     *
     * @param prompt the text before the completion, tokenized with BOS rules
     * @param completion the text scored after it
     * @return the completion's tokens (possibly empty)
     * @throws LlamaException when the prompt's last token merges with the completion's start,
     *         so no token boundary falls between them
     * @throws IllegalStateException if the model is closed
     */
    public int[] continuation(String prompt, String completion) {
        int[] p = tokenize(prompt, true, false), all = tokenize(prompt + completion, true, false);
        if (all.length < p.length || !Arrays.equals(all, 0, p.length, p, 0, p.length)) {
            throw new LlamaException("the prompt's last token merges with the start of the completion " + quote(completion)
                    + ": no token boundary lies between them (end the prompt with a space or newline, or start the completion with one)");
        }
        return Arrays.copyOfRange(all, p.length, all.length);
    }

    private static String quote(String s) {
        return "\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"";
    }

    /**
     * Turns tokens back into text.
     *
     * @param tokens the token ids
     * @param removeSpecial whether to drop a leading BOS and trailing EOS where the model adds them
     * @param renderSpecial whether control tokens are printed as their text instead of dropped
     * @return the text; bytes that are not valid UTF-8 become U+FFFD
     * @throws IllegalArgumentException if an id is outside the vocabulary
     * @throws IllegalStateException if the model is closed
     */
    public String detokenize(int[] tokens, boolean removeSpecial, boolean renderSpecial) {
        // llama.cpp looks ids up with a bounds-checked at(): its C++ exception would cross the C
        // boundary and abort the JVM, so ids are checked here.
        for (int t : tokens) checkToken(t);
        return withVocab(v -> detokenize(v, tokens, removeSpecial, renderSpecial));
    }

    private static String detokenize(MemorySegment v, int[] tokens, boolean removeSpecial, boolean renderSpecial) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(ValueLayout.JAVA_INT, tokens.length == 0 ? new int[1] : tokens);
            int capacity = tokens.length * 8 + 16;
            MemorySegment out = arena.allocate(capacity);
            int n = LlamaH.llama_detokenize(v, in, tokens.length, out, capacity, removeSpecial, renderSpecial);
            if (n < 0) {
                capacity = -n;
                out = arena.allocate(capacity);
                n = LlamaH.llama_detokenize(v, in, tokens.length, out, capacity, removeSpecial, renderSpecial);
            }
            return new String(out.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /**
     * Turns tokens back into text, keeping BOS/EOS and dropping control tokens:
     * {@code detokenize(tokens, false, false)}.
     *
     * @param tokens the token ids
     * @return the text
     * @throws IllegalArgumentException if an id is outside the vocabulary
     * @throws IllegalStateException if the model is closed
     */
    public String detokenize(int[] tokens) {
        return detokenize(tokens, false, false);
    }

    /**
     * The raw bytes one token stands for. A piece can be part of a multi-byte UTF-8
     * character, which is why streaming decodes bytes, not per-token strings.
     *
     * @param token the token id
     * @param renderSpecial whether a control token yields its text (else no bytes)
     * @return the token's bytes
     * @throws IllegalArgumentException if the id is outside the vocabulary
     * @throws IllegalStateException if the model is closed
     */
    public byte[] pieceBytes(int token, boolean renderSpecial) {
        checkToken(token);
        return withVocab(v -> pieceBytes(v, token, renderSpecial));
    }

    private static byte[] pieceBytes(MemorySegment v, int token, boolean renderSpecial) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            int n = LlamaH.llama_token_to_piece(v, token, buf, 64, 0, renderSpecial);
            if (n < 0) {
                buf = arena.allocate(-n);
                n = LlamaH.llama_token_to_piece(v, token, buf, -n, 0, renderSpecial);
            }
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * The text of one token, control tokens rendered. A piece that is part of a multi-byte
     * character decodes to U+FFFD: use {@link #pieceBytes} to join pieces.
     *
     * @param token the token id
     * @return the token's text
     * @throws IllegalArgumentException if the id is outside the vocabulary
     * @throws IllegalStateException if the model is closed
     */
    public String piece(int token) {
        return new String(pieceBytes(token, true), StandardCharsets.UTF_8);
    }

    /**
     * {@return the token's text as stored in the vocabulary (e.g. "▁the")}
     *
     * @param token the token id
     * @throws IllegalArgumentException if the id is outside the vocabulary
     * @throws IllegalStateException if the model is closed
     */
    public String tokenText(int token) {
        checkToken(token);
        return withVocab(v -> Native.string(LlamaH.llama_vocab_get_text(v, token)));
    }

    /**
     * {@return the beginning-of-sequence token, -1 when the model has none}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int bos() {
        return withVocab(LlamaH::llama_vocab_bos);
    }

    /**
     * {@return the end-of-sequence token, -1 when the model has none}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int eos() {
        return withVocab(LlamaH::llama_vocab_eos);
    }

    /**
     * {@return the end-of-turn token of chat models, -1 when the model has none}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int eot() {
        return withVocab(LlamaH::llama_vocab_eot);
    }

    /**
     * {@return true for every end-of-generation token (EOS, EOT, and the model's other stop tokens)}
     *
     * @param token a token id; negative ids give false
     * @throws IllegalStateException if the model is closed
     */
    public boolean isEndOfGeneration(int token) {
        return token >= 0 && withVocab(v -> LlamaH.llama_vocab_is_eog(v, token));
    }

    /**
     * {@return true for control tokens (BOS, EOS, chat markers), which plain detokenizing drops}
     *
     * @param token the token id
     * @throws IllegalArgumentException if the id is outside the vocabulary
     * @throws IllegalStateException if the model is closed
     */
    public boolean isControl(int token) {
        checkToken(token);
        return withVocab(v -> LlamaH.llama_vocab_is_control(v, token));
    }

    /**
     * {@return whether tokenizing with {@code addSpecial} prepends BOS for this model}
     *
     * @throws IllegalStateException if the model is closed
     */
    public boolean addsBos() {
        return withVocab(LlamaH::llama_vocab_get_add_bos);
    }

    /**
     * {@return whether tokenizing with {@code addSpecial} appends EOS for this model}
     *
     * @throws IllegalStateException if the model is closed
     */
    public boolean addsEos() {
        return withVocab(LlamaH::llama_vocab_get_add_eos);
    }

    void checkToken(int token) {
        int n = vocabularySize();
        if (token < 0 || token >= n) {
            throw new IllegalArgumentException("token id " + token + " outside the vocabulary [0, " + n + ")");
        }
    }
}
