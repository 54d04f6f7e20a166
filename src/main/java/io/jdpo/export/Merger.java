package io.jdpo.export;

import io.jdpo.adapter.AdapterFile;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.tensor.Dequantizer;
import io.jdpo.tensor.PackedGemm;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Merges LoRA adapters into a GGUF base: W' = W + Σ scale_k·(alpha_k/r_k)·B_k·A_k for every
 * adapted tensor, written in the tensor's own type (requantized by ggml's quantizer through
 * the binding) or one type for all merged tensors. Other tensors are copied byte for byte,
 * metadata is kept (plus provenance keys). Tensors are produced one at a time while the
 * file is written, so memory stays near one tensor; the output goes to a temporary file
 * renamed into place, so an interrupted merge leaves nothing at the output path.
 */
public final class Merger {
    /** One adapter and the scale it is merged with (1 = as trained). */
    public record Input(AdapterFile adapter, float scale) {
    }

    /**
     * What merging did to one tensor: the norm of the update and of the requantization error
     * (the written tensor decoded, minus W'). When the error is comparable to the update, the
     * output type cannot hold the update: the known failure of merging into 4-bit weights.
     */
    public record TensorReport(String name, GgmlType type, double weightNorm, double updateNorm, double errorNorm) {
        /** Requantization error relative to the update it had to carry. */
        public double errorToUpdate() {
            return errorNorm / Math.max(1e-30, updateNorm);
        }
    }

    public record Result(Path output, int merged, int copied, List<TensorReport> tensors) {
        public double worstErrorToUpdate() {
            return tensors.stream().mapToDouble(TensorReport::errorToUpdate).max().orElse(0);
        }
    }

    private Merger() {
    }

    /**
     * @param outputType null keeps each merged tensor's type; otherwise every merged tensor
     *                   is written in this type
     * @param progress   (done, total) tensors; may be null
     */
    public static Result merge(Path base, List<Input> adapters, Path out, GgmlType outputType, Map<String, String> provenance,
                               BiConsumer<Integer, Integer> progress) throws IOException {
        if (adapters.isEmpty()) throw new IllegalArgumentException("no adapter to merge");
        checkOutput(out, base, adapters);
        try (GgufFile f = GgufFile.open(base)) {
            String arch = f.getString("general.architecture");
            Map<String, List<Input>> byTensor = new LinkedHashMap<>();
            for (Input in : adapters) {
                AdapterFile a = in.adapter();
                if (!a.architecture().equals(arch)) {
                    throw new IllegalArgumentException("adapter " + a.path() + " is for architecture '" + a.architecture()
                            + "', the base " + base + " is '" + arch + "'");
                }
                for (var e : a.pairs().entrySet()) {
                    if (!f.hasTensor(e.getKey())) {
                        throw new IllegalArgumentException("adapter " + a.path() + " adapts '" + e.getKey() + "', which the base " + base + " does not have");
                    }
                    GgufTensorInfo t = f.tensor(e.getKey());
                    AdapterFile.Pair p = e.getValue();
                    if (t.ne().length != 2 || t.ne()[0] != p.nIn() || t.ne()[1] != p.nOut()) {
                        throw new IllegalArgumentException("adapter " + a.path() + ": '" + e.getKey() + "' is " + p.nOut() + "x" + p.nIn()
                                + " (n_out x n_in), the base tensor has ne=" + java.util.Arrays.toString(t.ne()));
                    }
                    byTensor.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(in);
                }
            }
            GgufWriter w = new GgufWriter();
            w.putAll(f.metadata());
            List<String> names = new ArrayList<>();
            for (Input in : adapters) names.add(in.adapter().path().getFileName() + ":" + in.scale());
            w.put("jdpo.merge.adapters", String.join(",", names));
            if (outputType != null) w.put("jdpo.merge.type", outputType.ggmlName());
            provenance.forEach(w::put);
            List<TensorReport> reports = new ArrayList<>();
            int total = f.tensors().size();
            int[] done = {0};
            for (GgufTensorInfo t : f.tensors()) {
                List<Input> ins = byTensor.get(t.name());
                if (ins == null) {
                    w.addTensor(t.name(), t.type(), t.ne(), () -> {
                        tick(progress, ++done[0], total);
                        return f.data(t);
                    });
                } else {
                    GgmlType type = outputType != null ? outputType : t.type();
                    if (!Dequantizer.supports(t.type())) {
                        throw new IllegalArgumentException("base tensor '" + t.name() + "' is " + t.type() + ", which jdpo cannot decode to merge into");
                    }
                    w.addTensor(t.name(), type, t.ne(), () -> {
                        MemorySegment bytes = mergeTensor(f, t, ins, type, reports);
                        tick(progress, ++done[0], total);
                        return bytes;
                    });
                }
            }
            try {
                w.write(out);
            } catch (IOException e) {
                throw new IOException("writing " + out + " failed (" + e.getMessage() + "); nothing was left at " + out, e);
            }
            return new Result(out, byTensor.size(), total - byTensor.size(), reports);
        }
    }

    private static void tick(BiConsumer<Integer, Integer> progress, int done, int total) {
        if (progress != null) progress.accept(done, total);
    }

    /** W' = W + Σ s·B·A in floats, then written in {@code type}; the report compares the decoded result with W'. */
    private static MemorySegment mergeTensor(GgufFile f, GgufTensorInfo t, List<Input> ins, GgmlType type, List<TensorReport> reports) {
        int nIn = (int) t.ne()[0], nOut = (int) t.ne()[1];
        float[] w = new float[nIn * nOut];
        Dequantizer.dequantize(t.type(), f.data(t), w, 0, w.length);
        float[] delta = new float[w.length];
        for (Input in : ins) {
            AdapterFile.Pair p = in.adapter().pairs().get(t.name());
            float s = in.scale() * in.adapter().scale(p);
            float[] sb = new float[p.b().length];
            for (int i = 0; i < sb.length; i++) sb[i] = s * p.b()[i];
            PackedGemm.ab(sb, 0, p.rank(), nOut, p.a(), 0, nIn, p.rank(), nIn, delta, 0, nIn, true);
        }
        double wn = 0, un = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] += delta[i];
            wn += (double) w[i] * w[i];
            un += (double) delta[i] * delta[i];
        }
        byte[] q = RowQuantizer.quantize(type.id(), w, nOut, nIn, null);
        float[] back = RowQuantizer.dequantize(type.id(), q, w.length);
        double en = 0;
        for (int i = 0; i < w.length; i++) {
            double d = back[i] - w[i];
            en += d * d;
        }
        synchronized (reports) {
            reports.add(new TensorReport(t.name(), type, Math.sqrt(wn), Math.sqrt(un), Math.sqrt(en)));
        }
        return MemorySegment.ofArray(q);
    }

    private static void checkOutput(Path out, Path base, List<Input> adapters) throws IOException {
        List<Path> inputs = new ArrayList<>();
        inputs.add(base);
        for (Input in : adapters) inputs.add(in.adapter().path());
        for (Path p : inputs) {
            boolean same = Files.exists(out) ? Files.isSameFile(out, p) : out.toAbsolutePath().normalize().equals(p.toAbsolutePath().normalize());
            if (same) throw new IllegalArgumentException("the output " + out + " is an input of the merge; choose another path");
        }
    }
}
