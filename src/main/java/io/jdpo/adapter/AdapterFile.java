package io.jdpo.adapter;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufValue;
import io.jdpo.tensor.Dequantizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A llama.cpp LoRA adapter read back from GGUF: architecture, alpha, and per adapted base
 * tensor its A (r × n_in) and B (n_out × r) as floats, plus jdpo's provenance keys. F32, F16 and BF16 adapters are read
 * (decoded exactly as ggml does); a quantized adapter (its rounding would be merged into the
 * weights), a non-adapter file or a tensor pair whose shapes disagree is refused with the
 * file and tensor named. Everything is copied to the heap: the record outlives the file.
 *
 * @param path the file read
 * @param architecture its {@code general.architecture}, or null when absent
 * @param alpha {@code adapter.lora.alpha}, or the first pair's rank when absent (llama.cpp's
 *        default: scale 1)
 * @param pairs per adapted base tensor name (e.g. "blk.0.attn_q.weight"), its A and B, in file order
 * @param provenance every metadata key starting with "jdpo." and its value as text
 */
public record AdapterFile(Path path, String architecture, float alpha, Map<String, Pair> pairs, Map<String, String> provenance) {
    private static final Set<GgmlType> READABLE = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);

    /**
     * One adapted tensor: A is rank × nIn, B is nOut × rank, row-major, so the update of W·x is
     * scale·B·(A·x). The arrays are not copied.
     *
     * @param a A's rank × nIn values
     * @param b B's nOut × rank values
     * @param rank the LoRA rank r
     * @param nIn the base weight's input width (columns of W)
     * @param nOut the base weight's output width (rows of W)
     */
    public record Pair(float[] a, float[] b, int rank, int nIn, int nOut) {
    }

    /**
     * Reads an adapter file.
     *
     * @param path a GGUF LoRA adapter in F32, F16 or BF16
     * @return its contents
     * @throws IOException if the file cannot be read
     * @throws io.jdpo.gguf.GgufFormatException if it is not valid GGUF
     * @throws IllegalArgumentException if it is not a LoRA adapter, holds no pairs, holds a
     *         tensor that is not lora_a/lora_b, an unmatched or mis-shaped pair, or a quantized
     *         tensor; the message names the file and tensor
     */
    public static AdapterFile read(Path path) throws IOException {
        try (GgufFile f = GgufFile.open(path)) {
            String type = text(f, "general.type"), kind = text(f, "adapter.type");
            if (!"adapter".equals(type) || !"lora".equals(kind)) {
                throw new IllegalArgumentException(path + " is not a LoRA adapter (general.type=" + type + ", adapter.type=" + kind + ")");
            }
            String arch = text(f, "general.architecture");
            GgufValue alphaValue = f.get("adapter.lora.alpha");
            Map<String, Pair> pairs = new LinkedHashMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                if (!t.name().endsWith(".lora_a")) {
                    if (!t.name().endsWith(".lora_b")) throw new IllegalArgumentException(path + ": tensor '" + t.name() + "' is neither lora_a nor lora_b");
                    continue;
                }
                String base = t.name().substring(0, t.name().length() - ".lora_a".length());
                if (!f.hasTensor(base + ".lora_b")) throw new IllegalArgumentException(path + ": '" + t.name() + "' has no matching '" + base + ".lora_b'");
                GgufTensorInfo tb = f.tensor(base + ".lora_b");
                if (t.ne().length != 2 || tb.ne().length != 2 || t.ne()[1] != tb.ne()[0]) {
                    throw new IllegalArgumentException(path + ": rank mismatch in '" + base + "': lora_a ne=" + java.util.Arrays.toString(t.ne())
                            + ", lora_b ne=" + java.util.Arrays.toString(tb.ne()) + " (need [n_in, r] and [r, n_out])");
                }
                int r = (int) t.ne()[1], nIn = (int) t.ne()[0], nOut = (int) tb.ne()[1];
                pairs.put(base, new Pair(decode(f, t, path), decode(f, tb, path), r, nIn, nOut));
            }
            if (pairs.isEmpty()) throw new IllegalArgumentException(path + " holds no lora_a/lora_b tensors");
            int rank = pairs.values().iterator().next().rank();
            // llama.cpp's default when the key is missing: alpha = rank (scale 1).
            float alpha = alphaValue == null ? rank : (float) alphaValue.asDouble();
            Map<String, String> provenance = new LinkedHashMap<>();
            f.metadata().forEach((k, v) -> {
                if (k.startsWith("jdpo.")) provenance.put(k, String.valueOf(v.value()));
            });
            return new AdapterFile(path, arch, alpha, pairs, provenance);
        }
    }

    /**
     * The factor llama.cpp multiplies B·A by: alpha / r (times the user's scale).
     *
     * @param p one of this adapter's pairs
     * @return alpha divided by the pair's rank
     */
    public float scale(Pair p) {
        return alpha / p.rank();
    }

    private static float[] decode(GgufFile f, GgufTensorInfo t, Path path) {
        if (!READABLE.contains(t.type())) {
            throw new IllegalArgumentException(path + ": adapter tensor '" + t.name() + "' is " + t.type()
                    + "; a merge needs an F32 (or F16/BF16) adapter: export it again with --type f32");
        }
        float[] out = new float[(int) t.elementCount()];
        Dequantizer.dequantize(t.type(), f.data(t), out, 0, out.length);
        return out;
    }

    private static String text(GgufFile f, String key) {
        GgufValue v = f.get(key);
        return v == null ? null : v.asString();
    }
}
