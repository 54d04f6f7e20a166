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

/** A GGUF model loaded by llama.cpp (weights memory-mapped, optionally offloaded to the GPU). */
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

    public static LlamaModel load(Path path) {
        return load(path, ModelParams.defaults());
    }

    /**
     * Loads a GGUF file. The file is checked in Java first (exists, readable, GGUF magic) so
     * the common mistakes get a clear message; llama.cpp then validates the rest.
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

    public Path path() {
        return path;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** All GGUF metadata as llama.cpp renders it (arrays summarised by llama.cpp). */
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

    public Optional<String> metadata(String key) {
        return call(m -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocateFrom(key);
                return Optional.ofNullable(readString((buf, len) -> LlamaH.llama_model_meta_val_str(m, k, buf, len)));
            }
        });
    }

    /** general.architecture, e.g. "llama", "qwen2". */
    public String architecture() {
        return metadata("general.architecture").orElse("unknown");
    }

    /** llama.cpp's one-line description, e.g. "llama 260K all F32". */
    public String description() {
        return call(m -> readString((buf, len) -> LlamaH.llama_model_desc(m, buf, len)));
    }

    public long parameterCount() {
        return call(LlamaH::llama_model_n_params);
    }

    public long sizeBytes() {
        return call(LlamaH::llama_model_size);
    }

    public int trainingContextLength() {
        return call(LlamaH::llama_model_n_ctx_train);
    }

    public int embeddingLength() {
        return call(LlamaH::llama_model_n_embd);
    }

    public int layerCount() {
        return call(LlamaH::llama_model_n_layer);
    }

    public int headCount() {
        return call(LlamaH::llama_model_n_head);
    }

    public int kvHeadCount() {
        return call(LlamaH::llama_model_n_head_kv);
    }

    /** The model's own chat template (tokenizer.chat_template), if it has one. */
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
