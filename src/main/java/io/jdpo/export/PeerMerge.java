package io.jdpo.export;

import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufValue;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaRuntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The merge a llama.cpp user makes without jdpo, used as the peer of {@code merge --verify}:
 * {@code llama-export-lora} writes base + adapters with the merged tensors in F16, then
 * {@code llama-quantize --allow-requantize} brings the file back to the base's file type
 * (general.file_type). Both tools come from the native cache's bin/.
 */
public final class PeerMerge {
    private PeerMerge() {
    }

    /**
     * The llama-quantize type of a model file, from its {@code general.file_type}.
     *
     * @param base a GGUF model
     * @return its file type (Q4_0, Q4_K_M, ...)
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException if the key is missing or names no llama-quantize type
     */
    public static FileType fileType(Path base) throws IOException {
        try (GgufFile f = GgufFile.open(base)) {
            GgufValue v = f.get("general.file_type");
            FileType t = v == null ? null : FileType.byId(v.asLong());
            if (t == null) throw new IllegalArgumentException(base + ": general.file_type " + (v == null ? "missing" : v.asLong())
                    + " names no llama-quantize type; the peer route cannot be built");
            return t;
        }
    }

    /**
     * Writes the peer's merge; the F16 intermediate goes to a temporary file beside {@code out},
     * deleted afterwards.
     *
     * @param base     the base model
     * @param adapters adapter files and their scales
     * @param out      the merged model to write (in the base's file type)
     * @param threads  threads for both tools
     * @throws IOException if a tool is missing from the native cache, fails (its log is in the
     *                     message) or takes over 10 minutes
     * @throws InterruptedException if interrupted while a tool runs
     */
    public static void write(Path base, Map<Path, Float> adapters, Path out, int threads) throws IOException, InterruptedException {
        FileType type = fileType(base);
        LlamaRuntime rt = LlamaRuntime.get();
        Path export = rt.tool("llama-export-lora").orElseThrow(() -> new IOException("llama-export-lora is not in the native cache's bin/"));
        Path quantize = rt.tool("llama-quantize").orElseThrow(() -> new IOException("llama-quantize is not in the native cache's bin/"));
        Path f16 = Files.createTempFile(out.toAbsolutePath().getParent(), "peer-f16-", ".gguf");
        try {
            List<String> cmd = new ArrayList<>(List.of(export.toString(), "-m", base.toString(), "-o", f16.toString(), "-t", String.valueOf(threads)));
            for (var e : adapters.entrySet()) cmd.addAll(List.of("--lora-scaled", e.getKey() + ":" + e.getValue()));
            run(cmd);
            run(List.of(quantize.toString(), "--allow-requantize", f16.toString(), out.toString(), type.name(), String.valueOf(threads)));
        } finally {
            Files.deleteIfExists(f16);
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] log = p.getInputStream().readAllBytes();
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd.getFirst() + " did not finish in 10 minutes");
        }
        if (p.exitValue() != 0) {
            String text = new String(log, StandardCharsets.UTF_8);
            throw new IOException(Path.of(cmd.getFirst()).getFileName() + " failed (exit " + p.exitValue() + "): "
                    + text.substring(Math.max(0, text.length() - 2000)));
        }
    }
}
