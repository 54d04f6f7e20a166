package io.jdpo.export;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.tensor.LoraPair;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a LoRA adapter as the GGUF llama.cpp loads: general.type = adapter,
 * general.architecture of the base, adapter.type = lora, adapter.lora.alpha (llama.cpp
 * scales by alpha/r, so rsLoRA must arrive folded in), and per adapted weight
 * {@code <name>.lora_a} with ne = [n_in, r] and {@code <name>.lora_b} with ne = [r, n_out],
 * F32. Extra string metadata (provenance) is written under the keys given.
 */
public final class AdapterExporter {
    private AdapterExporter() {
    }

    /** {@code pairs} maps base tensor names ("blk.0.attn_q.weight") to their A/B matrices. */
    public static void write(Path out, String architecture, float alpha, Map<String, LoraPair> pairs,
                             Map<String, String> extra) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.type", "adapter");
        w.put("general.architecture", architecture);
        w.put("adapter.type", "lora");
        w.put("adapter.lora.alpha", GgufValue.f32(alpha));
        extra.forEach(w::put);
        pairs.forEach((base, p) -> {
            w.addTensor(base + ".lora_a", GgmlType.F32, new long[]{p.nIn(), p.rank()}, p.a());
            w.addTensor(base + ".lora_b", GgmlType.F32, new long[]{p.rank(), p.nOut()}, p.b());
        });
        w.write(out);
    }
}
