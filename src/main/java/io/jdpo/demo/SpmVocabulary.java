package io.jdpo.demo;

import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufValueType;
import io.jdpo.gguf.GgufWriter;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A SentencePiece-style ("llama") vocabulary built from a corpus, in the form llama.cpp's
 * tokenizer reads from GGUF: &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte-fallback tokens, every
 * character of the corpus, and for every word every prefix of "▁word". llama.cpp merges
 * adjacent pieces by score, highest first; scoring longer pieces higher makes it grow each
 * word from its start, through the prefixes, into one token.
 *
 * @param tokens the token texts, indexed by id ("▁" stands for a space)
 * @param scores each token's merge score: its length in chars, 0 for special and byte tokens
 * @param types  each token's llama.cpp token type (1 normal, 2 unknown, 3 control, 6 byte)
 */
public record SpmVocabulary(List<String> tokens, List<Float> scores, List<Integer> types) {
    /** The ids of &lt;unk&gt;, of the BOS &lt;s&gt; and of the EOS &lt;/s&gt;. */
    public static final int UNK = 0, BOS = 1, EOS = 2;
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

    /**
     * Builds the vocabulary of a corpus: words are the runs of ASCII letters of each
     * space-separated part.
     *
     * @param texts the corpus
     * @return the vocabulary, tokens in the order the class comment lists them
     */
    public static SpmVocabulary build(List<String> texts) {
        Map<String, Integer> words = new TreeMap<>();
        Set<String> cs = new java.util.TreeSet<>();
        for (String t : texts) {
            String s = "\u2581" + t.replace(' ', '\u2581');
            s.codePoints().forEach(c -> cs.add(new String(Character.toChars(c))));
            for (String w : t.split(" ")) {
                String core = w.replaceAll("[^A-Za-z]", "");
                if (!core.isEmpty()) words.merge(core, 1, Integer::sum);
            }
        }
        List<String> tok = new ArrayList<>();
        List<Float> sc = new ArrayList<>();
        List<Integer> ty = new ArrayList<>();
        add(tok, sc, ty, "<unk>", 0, UNKNOWN);
        add(tok, sc, ty, "<s>", 0, CONTROL);
        add(tok, sc, ty, "</s>", 0, CONTROL);
        for (int b = 0; b < 256; b++) add(tok, sc, ty, String.format("<0x%02X>", b), 0, BYTE);
        Set<String> pieces = new LinkedHashSet<>(cs);
        for (String w : words.keySet()) {
            String piece = "\u2581" + w;
            for (int k = 2; k <= piece.length(); k++) pieces.add(piece.substring(0, k));
        }
        for (String p : pieces) add(tok, sc, ty, p, p.length(), NORMAL);
        return new SpmVocabulary(tok, sc, ty);
    }

    private static void add(List<String> tok, List<Float> sc, List<Integer> ty, String t, float score, int type) {
        tok.add(t);
        sc.add(score);
        ty.add(type);
    }

    /** {@return the number of tokens} */
    public int size() {
        return tokens.size();
    }

    /**
     * Writes the tokenizer.* metadata llama.cpp needs (adds BOS, never EOS).
     *
     * @param w the writer of the model file
     */
    public void putInto(GgufWriter w) {
        w.put("tokenizer.ggml.model", "llama");
        w.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokens));
        w.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
        w.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        w.put("tokenizer.ggml.bos_token_id", GgufValue.u32(BOS));
        w.put("tokenizer.ggml.eos_token_id", GgufValue.u32(EOS));
        w.put("tokenizer.ggml.unknown_token_id", GgufValue.u32(UNK));
        w.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        w.put("tokenizer.ggml.add_eos_token", GgufValue.bool(false));
    }
}
