package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.llama_model_params;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF model loaded by llama.cpp (weights memory-mapped, optionally offloaded to the GPU).
 * Owns the weights' native memory until {@link #close()}, which first closes the contexts,
 * adapters and samplers made from it. Safe to use from several threads at once: llama.cpp only
 * reads a loaded model. After close every method but {@link #path()} and {@link #tokenizer()}
 * throws {@link IllegalStateException} (and so do the tokenizer's).
 */
public final class LlamaModel extends NativeHandle {
    private static final byte[] GGUF_MAGIC = {'G', 'G', 'U', 'F'};

    private final Path path;
    private final Tokenizer tokenizer;
    private final Set<NativeHandle> children = new LinkedHashSet<>();

    private LlamaModel(Path path, MemorySegment pointer) {
        super("model " + path, pointer);
        this.path = path;
        this.tokenizer = new Tokenizer(this, LlamaH.llama_model_get_vocab(pointer));
    }

    /**
     * Loads a GGUF file with {@link ModelParams#defaults()} (CPU, memory-mapped).
     *
     * @param path the GGUF file
     * @return the model; the caller closes it
     * @throws LlamaException as {@link #load(Path, ModelParams)}
     */
    public static LlamaModel load(Path path) {
        return load(path, ModelParams.defaults());
    }

    /**
     * Loads a GGUF file. The file is checked in Java first (exists, readable, GGUF magic) so
     * the common mistakes get a clear message; llama.cpp then validates the rest.
     *
     * @param path the GGUF file
     * @param params how to load it
     * @return the model; the caller closes it
     * @throws LlamaException if the file is missing, unreadable or not GGUF, if llama.cpp
     *         cannot be loaded, or if llama.cpp refuses the file (the message carries the reason
     *         llama.cpp logged)
     */
    public static LlamaModel load(Path path, ModelParams params) {
        checkGgufFile(path);
        LlamaRuntime.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaH.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(p, params.nGpuLayers());
            llama_model_params.load_mode(p, params.useMmap() ? LlamaH.LLAMA_LOAD_MODE_MMAP() : LlamaH.LLAMA_LOAD_MODE_NONE());
            llama_model_params.vocab_only(p, params.vocabOnly());
            NativeLog.clearProblems();
            MemorySegment model = LlamaH.llama_model_load_from_file(arena.allocateFrom(path.toString()), p);
            if (model.equals(MemorySegment.NULL)) {
                String why = NativeLog.problems();
                throw new LlamaException("llama.cpp could not load model " + path + ": "
                        + (why.isEmpty() ? "truncated or unsupported GGUF? (logger io.jdpo.llama.native shows llama.cpp's log)" : why));
            }
            return new LlamaModel(path, model);
        }
    }

    static void checkGgufFile(Path path) {
        if (!Files.exists(path)) {
            throw new LlamaException("model file not found: " + path);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new LlamaException("model path is not a readable file: " + path);
        }
        byte[] magic = new byte[4];
        try (InputStream in = Files.newInputStream(path)) {
            int n = in.readNBytes(magic, 0, 4);
            if (n < 4 || !Arrays.equals(magic, GGUF_MAGIC)) {
                throw new LlamaException("not a GGUF file (bad magic at byte 0): " + path);
            }
        } catch (IOException e) {
            throw new LlamaException("cannot read model file " + path + ": " + e.getMessage(), e);
        }
    }

    /** {@return the file the model was loaded from, as given to {@link #load}} */
    public Path path() {
        return path;
    }

    /** {@return the model's tokenizer, valid while the model is open} */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * All GGUF metadata as llama.cpp renders it (arrays summarised by llama.cpp, not listed).
     *
     * @return key to value text, in the file's order
     * @throws IllegalStateException if the model is closed
     */
    public Map<String, String> metadata() {
        return call(m -> {
            int n = LlamaH.llama_model_meta_count(m);
            Map<String, String> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int idx = i;
                String key = readString((buf, len) -> LlamaH.llama_model_meta_key_by_index(m, idx, buf, len));
                String val = readString((buf, len) -> LlamaH.llama_model_meta_val_str_by_index(m, idx, buf, len));
                out.put(key, val);
            }
            return out;
        });
    }

    /**
     * One GGUF metadata value as llama.cpp renders it.
     *
     * @param key the key, e.g. "general.name"
     * @return its value text, or empty when the file has no such key
     * @throws IllegalStateException if the model is closed
     */
    public Optional<String> metadata(String key) {
        return call(m -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocateFrom(key);
                return Optional.ofNullable(readString((buf, len) -> LlamaH.llama_model_meta_val_str(m, k, buf, len)));
            }
        });
    }

    /**
     * {@return {@code general.architecture}, e.g. "llama", "qwen2"; "unknown" if absent}
     *
     * @throws IllegalStateException if the model is closed
     */
    public String architecture() {
        return metadata("general.architecture").orElse("unknown");
    }

    /**
     * {@return llama.cpp's one-line description, e.g. "llama 260K all F32"}
     *
     * @throws IllegalStateException if the model is closed
     */
    public String description() {
        return call(m -> readString((buf, len) -> LlamaH.llama_model_desc(m, buf, len)));
    }

    /**
     * {@return the number of weights in all tensors}
     *
     * @throws IllegalStateException if the model is closed
     */
    public long parameterCount() {
        return call(LlamaH::llama_model_n_params);
    }

    /**
     * {@return the total size of the tensors in bytes}
     *
     * @throws IllegalStateException if the model is closed
     */
    public long sizeBytes() {
        return call(LlamaH::llama_model_size);
    }

    /**
     * {@return the context length the model was trained with, in tokens; the most a context may hold}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int trainingContextLength() {
        return call(LlamaH::llama_model_n_ctx_train);
    }

    /**
     * {@return the width of the hidden state (n_embd)}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int embeddingLength() {
        return call(LlamaH::llama_model_n_embd);
    }

    /**
     * {@return the number of transformer blocks}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int layerCount() {
        return call(LlamaH::llama_model_n_layer);
    }

    /**
     * {@return the number of attention (query) heads}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int headCount() {
        return call(LlamaH::llama_model_n_head);
    }

    /**
     * {@return the number of key/value heads (fewer than {@link #headCount()} with grouped-query attention)}
     *
     * @throws IllegalStateException if the model is closed
     */
    public int kvHeadCount() {
        return call(LlamaH::llama_model_n_head_kv);
    }

    /**
     * {@return the model's own chat template ({@code tokenizer.chat_template}), or empty}
     *
     * @throws IllegalStateException if the model is closed
     */
    public Optional<String> chatTemplate() {
        return call(m -> {
            MemorySegment t = LlamaH.llama_model_chat_template(m, MemorySegment.NULL);
            return t.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(Native.string(t));
        });
    }

    /**
     * Contexts, adapters and samplers live inside the model's native memory: they are closed
     * first. Called while the creator holds the model, so a close that has begun (and already
     * listed the children) refuses the newcomer instead of freeing the model under it.
     */
    void register(NativeHandle child) {
        synchronized (children) {
            if (isClosed()) {
                child.close();
                throw new IllegalStateException("model " + path + " is closed");
            }
            children.add(child);
        }
    }

    void unregister(NativeHandle child) {
        synchronized (children) {
            children.remove(child);
        }
    }

    void detachEverywhere(LoraAdapter adapter) {
        for (NativeHandle child : childrenSnapshot()) {
            if (child instanceof LlamaContext ctx) {
                ctx.forget(adapter);
            }
        }
    }

    private List<NativeHandle> childrenSnapshot() {
        synchronized (children) {
            return new ArrayList<>(children);
        }
    }

    @Override
    void beforeFree() {
        List<NativeHandle> open = childrenSnapshot();
        // Contexts first: they may still reference the adapters.
        open.sort(Comparator.comparing(h -> h instanceof LlamaContext ? 0 : 1));
        for (NativeHandle child : open) {
            child.close();
        }
    }

    @Override
    void free(MemorySegment pointer) {
        LlamaH.llama_model_free(pointer);
    }

    /** A llama.cpp "write into buf, return needed length or -1" call. */
    interface StringCall {
        int call(MemorySegment buf, long len);
    }

    /** Calls a llama.cpp string getter, growing the buffer once if needed; null when it returns -1. */
    static String readString(StringCall call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int n = call.call(buf, buf.byteSize());
            if (n < 0) {
                return null;
            }
            if (n >= buf.byteSize()) {
                buf = arena.allocate(n + 1L);
                n = call.call(buf, buf.byteSize());
            }
            return buf.getString(0);
        }
    }
}
