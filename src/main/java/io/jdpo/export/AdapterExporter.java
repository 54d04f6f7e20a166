package io.jdpo.export;

import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a LoRA adapter as the GGUF llama.cpp loads: general.type = adapter,
 * general.architecture of the base, adapter.type = lora, adapter.lora.alpha (rsLoRA folded
 * in, since llama.cpp scales by alpha/r), and per adapted weight {@code <name>.lora_a} with
 * ne = [n_in, r] and {@code <name>.lora_b} with ne = [r, n_out], F32. Extra metadata
 * (provenance) goes under the keys given.
 */
public final class AdapterExporter {
    private AdapterExporter() {
    }

    public static void write(Path out, String architecture, LoraWeights lora, Map<String, String> extra) throws IOException {
        GgufWriter w = new GgufWriter();
        w.put("general.type", "adapter");
        w.put("general.architecture", architecture);
        w.put("adapter.type", "lora");
        w.put("adapter.lora.alpha", GgufValue.f32(lora.config().exportedAlpha()));
        extra.forEach(w::put);
        lora.layers().forEach((layer, pairs) -> {
            for (Map.Entry<LoraTarget, LoraWeights.Pair> e : pairs.entrySet()) {
                String base = "blk." + layer + "." + e.getKey().tensor() + ".weight";
                LoraWeights.Pair p = e.getValue();
                w.addTensor(base + ".lora_a", new long[]{p.nIn(), p.rank()}, p.a());
                w.addTensor(base + ".lora_b", new long[]{p.rank(), p.nOut()}, p.b());
            }
        });
        w.write(out);
    }
}
