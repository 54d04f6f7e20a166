package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF LoRA adapter loaded for one model. Attach it to contexts with a scale
 * ({@link LlamaContext#attach}); closing it detaches it everywhere first. Owns its tensors'
 * native memory until {@link #close()}; closing its model frees it too. Thread-safe to read;
 * after close every method but {@link #toString()}, {@link #path()} and {@link #model()}
 * throws {@link IllegalStateException}.
 */
public final class LoraAdapter extends NativeHandle {
    private final LlamaModel model;
    private final Path path;

    private LoraAdapter(LlamaModel model, Path path, MemorySegment pointer) {
        super("LoRA adapter " + path, pointer);
        this.model = model;
        this.path = path;
    }

    /**
     * Loads a GGUF LoRA adapter (as {@code llama-export-lora} and {@code jdpo train} write them).
     *
     * @param model the open base model the adapter was trained for
     * @param path the adapter file
     * @return the adapter, attached nowhere; the caller closes it (or its model)
     * @throws LlamaException if the file is missing, unreadable or not GGUF, or llama.cpp refuses
     *         it (another architecture, tensors that do not match the model); the message carries
     *         llama.cpp's logged reason
     * @throws IllegalStateException if the model is closed
     */
    public static LoraAdapter load(LlamaModel model, Path path) {
        LlamaModel.checkGgufFile(path);
        return model.call(m -> {
            try (Arena arena = Arena.ofConfined()) {
                NativeLog.clearProblems();
                MemorySegment p = LlamaH.llama_adapter_lora_init(m, arena.allocateFrom(path.toString()));
                if (p.equals(MemorySegment.NULL)) {
                    String why = NativeLog.problems();
                    throw new LlamaException("llama.cpp could not load LoRA adapter " + path + " for model "
                            + model.path() + ": " + (why.isEmpty() ? "wrong architecture, or tensors that do not match the model?" : why));
                }
                LoraAdapter a = new LoraAdapter(model, path, p);
                model.register(a);
                return a;
            }
        });
    }

    /** {@return the model the adapter was loaded for} */
    public LlamaModel model() {
        return model;
    }

    /** {@return the file the adapter was loaded from, as given} */
    public Path path() {
        return path;
    }

    /**
     * {@return the adapter's GGUF metadata as llama.cpp read it, in file order}
     *
     * @throws IllegalStateException if the adapter is closed
     */
    public Map<String, String> metadata() {
        return call(a -> {
            int n = LlamaH.llama_adapter_meta_count(a);
            Map<String, String> out = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int idx = i;
                out.put(LlamaModel.readString((b, l) -> LlamaH.llama_adapter_meta_key_by_index(a, idx, b, l)),
                        LlamaModel.readString((b, l) -> LlamaH.llama_adapter_meta_val_str_by_index(a, idx, b, l)));
            }
            return out;
        });
    }

    /**
     * {@return its value text, or empty when absent}
     *
     * @param key a metadata key, e.g. "adapter.lora.alpha"
     * @throws IllegalStateException if the adapter is closed
     */
    public Optional<String> metadata(String key) {
        return Optional.ofNullable(metadata().get(key));
    }

    @Override
    void beforeFree() {
        model.detachEverywhere(this);
    }

    @Override
    void free(MemorySegment pointer) {
        model.unregister(this);
        // An adapter still alive when its model is freed is freed by llama.cpp with it.
        if (!model.isClosed()) {
            LlamaH.llama_adapter_lora_free(pointer);
        }
    }

    /** {@return the adapter's path} */
    @Override
    public String toString() {
        return path.toString();
    }
}
