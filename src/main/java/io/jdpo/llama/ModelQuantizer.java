package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.llama_model_quantize_params;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Whole-file quantization with llama.cpp's own quantizer (what llama-quantize does). The
 * output is written beside the target and renamed into place, so a failure never leaves a
 * partial file at the output path.
 */
public final class ModelQuantizer {
    private ModelQuantizer() {
    }

    /**
     * Quantizes a GGUF model file. An existing file at {@code output} is replaced only once the
     * new one is whole; the temporary file is {@code .<name>.partial} in the output's folder.
     *
     * @param input the source GGUF (usually F32, F16 or BF16)
     * @param output where the quantized file goes; must not be the input
     * @param type the target mix
     * @param threads quantizing threads ({@code <= 0}: llama.cpp uses every hardware thread)
     * @throws LlamaException if the input is missing or not GGUF, the output is the input,
     *         llama.cpp fails (its reason goes to the {@code io.jdpo.llama.native} logger), or
     *         the file cannot be moved into place
     */
    public static void quantize(Path input, Path output, FileType type, int threads) {
        LlamaModel.checkGgufFile(input);
        try {
            if (Files.exists(output) && Files.isSameFile(input, output)) {
                throw new LlamaException("quantization output " + output + " is the input file");
            }
        } catch (IOException e) {
            throw new LlamaException("cannot compare " + input + " and " + output + ": " + e.getMessage(), e);
        }
        LlamaRuntime.get();
        Path parent = output.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + output.getFileName() + ".partial");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = LlamaH.llama_model_quantize_default_params(arena);
            llama_model_quantize_params.nthread(p, threads);
            llama_model_quantize_params.ftype(p, type.id);
            int rc = LlamaH.llama_model_quantize(arena.allocateFrom(input.toString()),
                    arena.allocateFrom(tmp.toString()), p);
            if (rc != 0) {
                throw new LlamaException("llama.cpp failed to quantize " + input + " to " + type
                        + " (code " + rc + "; enable logger io.jdpo.llama.native for details)");
            }
            Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new LlamaException("cannot move quantized file into place at " + output + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the rename already happened or the file never existed
            }
        }
    }
}
