package io.jdpo.adapter;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.SegmentMath;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Writes a LoRA adapter as the GGUF llama.cpp loads: general.type = adapter,
 * general.architecture of the base, adapter.type = lora, adapter.lora.alpha (llama.cpp
 * scales by alpha/r, so rsLoRA must arrive folded in), and per adapted weight
 * {@code <name>.lora_a} with ne = [n_in, r] and {@code <name>.lora_b} with ne = [r, n_out],
 * F32 by default or F16 / BF16 / Q8_0 (converted by ggml). Extra string metadata
 * (provenance) is written under the keys given. The file is written atomically.
 */
public final class AdapterExporter {
    /** The types an adapter may be exported in. */
    public static final Set<GgmlType> TYPES = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);

    private AdapterExporter() {
    }

    /**
     * Writes an F32 adapter from the trainer's off-heap matrices (copied to the heap first).
     *
     * @param out the file to write; an existing file is replaced once the new one is whole
     * @param architecture the base model's {@code general.architecture}; llama.cpp refuses an
     *        adapter whose architecture differs from the model's
     * @param alpha {@code adapter.lora.alpha}: llama.cpp scales B·A by alpha / rank
     * @param pairs base tensor names ("blk.0.attn_q.weight") to their A/B matrices, in the order written
     * @param extra string metadata (provenance) written under the keys given
     * @throws IOException if the file cannot be written
     */
    public static void write(Path out, String architecture, float alpha, Map<String, LoraPair> pairs,
                             Map<String, String> extra) throws IOException {
        Map<String, AdapterFile.Pair> floats = new LinkedHashMap<>();
        pairs.forEach((name, p) -> floats.put(name, new AdapterFile.Pair(SegmentMath.toArray(p.a()), SegmentMath.toArray(p.b()),
                p.rank(), p.nIn(), p.nOut())));
        write(out, architecture, alpha, floats, extra, GgmlType.F32);
    }

    /**
     * Writes an adapter from heap matrices in the given tensor type. F16, BF16 and Q8_0 are
     * converted by ggml's quantizer, so they need the llama.cpp libraries; Q8_0 needs both
     * {@code nIn} and the rank to be multiples of 32.
     *
     * @param out the file to write; an existing file is replaced once the new one is whole
     * @param architecture the base model's {@code general.architecture}
     * @param alpha {@code adapter.lora.alpha}: llama.cpp scales B·A by alpha / rank
     * @param pairs base tensor names to their A/B matrices, in the order written
     * @param extra string metadata (provenance) written under the keys given
     * @param type the tensor type, one of {@link #TYPES}
     * @throws IllegalArgumentException if the type is not in {@link #TYPES}, or a row length is
     *         not a multiple of its block size (the message names the tensor)
     * @throws IOException if the file cannot be written
     * @throws io.jdpo.llama.LlamaException if a conversion needs llama.cpp and it cannot be loaded
     */
    public static void write(Path out, String architecture, float alpha, Map<String, AdapterFile.Pair> pairs,
                             Map<String, String> extra, GgmlType type) throws IOException {
        if (!TYPES.contains(type)) throw new IllegalArgumentException("an adapter can be exported as f32, f16, bf16 or q8_0, not " + type);
        GgufWriter w = new GgufWriter();
        w.put("general.type", "adapter");
        w.put("general.architecture", architecture);
        w.put("adapter.type", "lora");
        w.put("adapter.lora.alpha", GgufValue.f32(alpha));
        extra.forEach(w::put);
        pairs.forEach((base, p) -> {
            w.addTensor(base + ".lora_a", type, new long[]{p.nIn(), p.rank()}, encode(base + ".lora_a", p.a(), p.rank(), p.nIn(), type));
            w.addTensor(base + ".lora_b", type, new long[]{p.rank(), p.nOut()}, encode(base + ".lora_b", p.b(), p.nOut(), p.rank(), type));
        });
        w.write(out);
    }

    private static MemorySegment encode(String name, float[] values, int rows, int perRow, GgmlType type) {
        if (type == GgmlType.F32) return MemorySegment.ofArray(values);
        if (perRow % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + " has rows of " + perRow + " values; " + type + " needs a multiple of "
                    + type.blockSize() + " (choose a rank that is, or f16)");
        }
        return MemorySegment.ofArray(RowQuantizer.quantize(type.id(), values, rows, perRow, null));
    }
}
