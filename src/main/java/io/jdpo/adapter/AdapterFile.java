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
 * file and tensor named.
 */
public record AdapterFile(Path path, String architecture, float alpha, Map<String, Pair> pairs, Map<String, String> provenance) {
    private static final Set<GgmlType> READABLE = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16);

    /** One adapted tensor: A is rank × nIn, B is nOut × rank, row-major. */
    public record Pair(float[] a, float[] b, int rank, int nIn, int nOut) {
    }

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

    /** The factor llama.cpp multiplies B·A by: alpha / r (times the user's scale). */
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
