package io.jdpo.export;

import io.jdpo.adapter.AdapterFile;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.gguf.ImportanceMatrix;
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
 * adapted tensor. Into the tensor's own quantized type the update is carried by
 * {@link DeltaRequantizer} (the base's scales kept, codes moved where the update crosses them);
 * into another type (--type, or an upgrade chosen by {@code keepUpdate}) W' is quantized by
 * ggml's quantizer through the binding, with the importance matrix when there is one, and rows
 * that do not divide the type's block size fall back as llama-quantize does
 * ({@link TypeChoice}). Other tensors are copied byte for byte, metadata is kept (plus
 * provenance keys). Tensors are produced one at a time while the file is written, so memory
 * stays near one tensor; the output goes to a temporary file renamed into place, so an
 * interrupted merge leaves nothing at the output path.
 *
 * <p>Stateless: separate merges may run on separate threads. Quantizing with ggml calls the
 * llama.cpp native library, which must be loadable.
 */
public final class Merger {
    /**
     * One adapter and the scale it is merged with.
     *
     * @param adapter a LoRA adapter read from its GGUF file, for the base's architecture
     * @param scale the factor on its update, as llama.cpp's {@code --lora-scaled}: 1 = as
     *        trained, 0.5 = half, negative subtracts it
     */
    public record Input(AdapterFile adapter, float scale) {
    }

    /** How merged tensors are written into a quantized type. */
    public enum Requantization {
        /** Keep the base's block scales, move the codes the update crosses (the default). */
        DELTA,
        /** Dequantize, add the update and quantize afresh with ggml (what merges did before). */
        PLAIN
    }

    /**
     * How merged tensors are typed and requantized; immutable, {@link #defaults()} then the
     * {@code with} methods.
     *
     * @param outputType     null keeps each merged tensor's type; otherwise every merged tensor is
     *                       written in this type (or its fallback for the tensor's rows)
     * @param requantization how a tensor that keeps its quantized type is rewritten
     *                       ({@link Requantization#DELTA} by default; other types always go
     *                       through ggml's quantizer)
     * @param keepUpdate     0 keeps the chosen type; above 0 (at most 1) a tensor moves up
     *                       ({@link TypeChoice#upgrade}) until its type carries at least this share
     *                       of its update; each tensor is then merged twice or more
     * @param importance     per-tensor column importance (llama.cpp's imatrix) for every fit by
     *                       ggml and for delta requantization, or null; the IQ types need one
     * @param rounding       how delta requantization rounds code changes (default
     *                       {@link DeltaRequantizer.Rounding#ALIGNED}, deterministic; the
     *                       stochastic draws are seeded per tensor, so every merge is reproducible)
     * @param alongWeight    the aligned rounding's descent weight (0, the default, skips the descent;
     *                       see {@link DeltaRequantizer#requantize(GgmlType, MemorySegment, float[], int, int, float[], double[],
     *                       DeltaRequantizer.Rounding, double, long)}); a calibrated merge tries several
     */
    public record Options(GgmlType outputType, Requantization requantization, double keepUpdate, ImportanceMatrix importance,
                          DeltaRequantizer.Rounding rounding, double alongWeight) {
        /** {@return each tensor in its own type, delta requantization, aligned rounding without descent, no importance matrix, no upgrade} */
        public static Options defaults() {
            return new Options(null, Requantization.DELTA, 0, null, DeltaRequantizer.Rounding.ALIGNED, 0);
        }

        /**
         * {@return these options with another descent weight for the aligned rounding}
         *
         * @param w the weight, at least 0 (0 = no descent)
         * @throws IllegalArgumentException if {@code w} is negative or NaN
         */
        public Options withAlongWeight(double w) {
            if (!(w >= 0)) throw new IllegalArgumentException("along weight " + w + " is not >= 0");
            return new Options(outputType, requantization, keepUpdate, importance, rounding, w);
        }

        /**
         * {@return these options writing every merged tensor in another type}
         *
         * @param t the output type, or null to keep each tensor's own
         */
        public Options withType(GgmlType t) {
            return new Options(t, requantization, keepUpdate, importance, rounding, alongWeight);
        }

        /**
         * {@return these options with another requantization}
         *
         * @param r delta or plain
         */
        public Options withRequantization(Requantization r) {
            return new Options(outputType, r, keepUpdate, importance, rounding, alongWeight);
        }

        /**
         * {@return these options with another share of each update the written tensor must keep}
         *
         * @param k a share in [0, 1]; 0 turns type upgrades off
         * @throws IllegalArgumentException if {@code k} is outside [0, 1] or NaN
         */
        public Options withKeepUpdate(double k) {
            if (!(k >= 0 && k <= 1)) throw new IllegalArgumentException("keep-update " + k + " is not a share in [0, 1]");
            return new Options(outputType, requantization, k, importance, rounding, alongWeight);
        }

        /**
         * {@return these options with another importance matrix}
         *
         * @param m the base model's importance matrix, or null for none
         */
        public Options withImportance(ImportanceMatrix m) {
            return new Options(outputType, requantization, keepUpdate, m, rounding, alongWeight);
        }

        /**
         * {@return these options with another rounding for delta requantization}
         *
         * @param r the rounding
         */
        public Options withRounding(DeltaRequantizer.Rounding r) {
            return new Options(outputType, requantization, keepUpdate, importance, r, alongWeight);
        }
    }

    /**
     * What merging did to one tensor: the norm of the update and of the requantization error
     * (the written tensor decoded, minus W'), its type before and after, its size before and
     * after, and for delta requantization the block counts. When the error is comparable to
     * the update, the output type cannot hold the update. Norms are Frobenius norms in weight
     * units; sizes are bytes of tensor data.
     *
     * @param name       the tensor's GGUF name
     * @param baseType   its type in the base
     * @param type       its type in the output
     * @param weightNorm ‖W'‖, the merged tensor's norm before it is quantized
     * @param updateNorm ‖W' − W‖, the norm of the summed, scaled adapter updates
     * @param errorNorm  ‖written − W'‖, the written tensor decoded minus W'
     * @param baseBytes  its data's size in the base
     * @param bytes      its data's size in the output
     * @param blocks     delta requantization's block counts, or null when ggml wrote it
     */
    public record TensorReport(String name, GgmlType baseType, GgmlType type, double weightNorm, double updateNorm, double errorNorm,
                               long baseBytes, long bytes, DeltaRequantizer.Stats blocks) {
        /** {@return the requantization error relative to the update it had to carry: errorNorm / updateNorm} */
        public double errorToUpdate() {
            return errorNorm / Math.max(1e-30, updateNorm);
        }

        /** {@return the share of the update the written tensor carries: 1 − error / update, at least 0} */
        public double keptShare() {
            return Math.max(0, 1 - errorToUpdate());
        }
    }

    /**
     * What a merge wrote.
     *
     * @param output  the merged GGUF file
     * @param merged  tensors that received an update
     * @param copied  tensors copied from the base byte for byte
     * @param tensors one report per merged tensor, in the file's order
     */
    public record Result(Path output, int merged, int copied, List<TensorReport> tensors) {
        /** {@return the largest {@link TensorReport#errorToUpdate()} over the merged tensors (0 with none)} */
        public double worstErrorToUpdate() {
            return tensors.stream().mapToDouble(TensorReport::errorToUpdate).max().orElse(0);
        }

        /** {@return the block counts of every delta-requantized tensor together (zeros with none)} */
        public DeltaRequantizer.Stats blocks() {
            DeltaRequantizer.Stats s = new DeltaRequantizer.Stats(0, 0, 0, 0, 0);
            for (TensorReport t : tensors) if (t.blocks() != null) s = s.plus(t.blocks());
            return s;
        }

        /** {@return the bytes the merged tensors take in the output minus what they took in the base (type upgrades grow it)} */
        public long addedBytes() {
            return tensors.stream().mapToLong(t -> t.bytes() - t.baseBytes()).sum();
        }

        /** {@return how many merged tensors were written in another type than the base's} */
        public long retyped() {
            return tensors.stream().filter(t -> t.type() != t.baseType()).count();
        }
    }

    private Merger() {
    }

    /**
     * As {@link #merge(Path, List, Path, Options, Map, BiConsumer)} with {@code outputType} and the
     * default options otherwise.
     *
     * @param base the base model's GGUF file
     * @param adapters the adapters and their scales; at least one
     * @param out the merged file to write; not one of the inputs
     * @param outputType the type of every merged tensor, or null to keep each one's own
     * @param provenance metadata keys and values added to the output
     * @param progress told (done, total) tensors as each is written; may be null
     * @return what was merged, with a report per merged tensor
     * @throws IOException if an input cannot be read or the output cannot be written
     * @throws IllegalArgumentException as the other overload
     */
    public static Result merge(Path base, List<Input> adapters, Path out, GgmlType outputType, Map<String, String> provenance,
                               BiConsumer<Integer, Integer> progress) throws IOException {
        return merge(base, adapters, out, Options.defaults().withType(outputType), provenance, progress);
    }

    /**
     * Merges the adapters into the base and writes the result to {@code out}. The inputs are
     * checked before writing starts; a file already at {@code out} is replaced only once the new
     * one is whole. The output keeps the base's metadata and adds
     * {@code jdpo.merge.adapters} (file names and scales), {@code jdpo.merge.requantization},
     * {@code jdpo.merge.type} when a type was asked for, and {@code provenance}.
     *
     * @param base the base model's GGUF file
     * @param adapters the adapters and their scales; at least one; several adapting one tensor
     *        are summed
     * @param out the merged file to write (its folder is created); not one of the inputs
     * @param options output type, requantization, importance matrix
     * @param provenance metadata keys and values added to the output (string values)
     * @param progress told (done, total) tensors on the calling thread as each is written,
     *        total counting copied tensors too; may be null
     * @return what was merged, with a report per merged tensor
     * @throws IOException if an input cannot be read or the output cannot be written (no
     *         partial file is then left behind)
     * @throws IllegalArgumentException if there is no adapter, {@code out} is an input, an
     *         adapter is for another architecture or adapts a tensor the base lacks or has in
     *         another shape, the importance matrix was computed on another model, a base tensor's
     *         type cannot be decoded, or the output type needs an importance matrix and has none
     */
    public static Result merge(Path base, List<Input> adapters, Path out, Options options, Map<String, String> provenance,
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
            if (options.importance() != null) {
                for (String name : byTensor.keySet()) {
                    float[] w = options.importance().weights(name);
                    if (w != null && w.length != f.tensor(name).ne()[0]) {
                        throw new IllegalArgumentException("the importance matrix has " + w.length + " columns for '" + name
                                + "', the base tensor has " + f.tensor(name).ne()[0] + ": it was computed on another model");
                    }
                }
            }
            GgufWriter w = new GgufWriter();
            w.putAll(f.metadata());
            List<String> names = new ArrayList<>();
            for (Input in : adapters) names.add(in.adapter().path().getFileName() + ":" + in.scale());
            w.put("jdpo.merge.adapters", String.join(",", names));
            if (options.outputType() != null) w.put("jdpo.merge.type", options.outputType().ggmlName());
            w.put("jdpo.merge.requantization", options.requantization().name().toLowerCase(java.util.Locale.ROOT));
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
                    if (!Dequantizer.supports(t.type())) {
                        throw new IllegalArgumentException("base tensor '" + t.name() + "' is " + t.type() + ", which jdpo cannot decode to merge into");
                    }
                    // The type is known up front unless --keep-update must try types; then a first
                    // pass picks it and the tensor is produced again while the file is written.
                    GgmlType type = options.keepUpdate() > 0 ? mergeTensor(f, t, ins, options, null).report().type()
                            : TypeChoice.fallback(options.outputType() != null ? options.outputType() : t.type(), t.ne()[0]);
                    w.addTensor(t.name(), type, t.ne(), () -> {
                        Written written = mergeTensor(f, t, ins, options, type);
                        synchronized (reports) {
                            reports.add(written.report());
                        }
                        tick(progress, ++done[0], total);
                        return MemorySegment.ofArray(written.bytes());
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

    private record Written(byte[] bytes, TensorReport report) {
    }

    /**
     * W' = W + Σ s·B·A, written in {@code fixed}, or (null) in the first type that the options
     * allow and that keeps the asked share of the update; the report compares the decoded
     * result with W'.
     */
    private static Written mergeTensor(GgufFile f, GgufTensorInfo t, List<Input> ins, Options options, GgmlType fixed) {
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
        float[] target = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            target[i] = w[i] + delta[i];
            wn += (double) target[i] * target[i];
            un += (double) delta[i] * delta[i];
        }
        float[] importance = options.importance() == null ? null : options.importance().weights(t.name());
        GgmlType type = fixed != null ? fixed : TypeChoice.fallback(options.outputType() != null ? options.outputType() : t.type(), nIn);
        long baseBytes = t.type().bytesFor(t.elementCount());
        while (true) {
            byte[] q;
            DeltaRequantizer.Stats stats = null;
            if (type == t.type() && type.isQuantized() && options.requantization() == Requantization.DELTA && DeltaRequantizer.supports(type)) {
                double[] moments = options.importance() == null ? null : options.importance().secondMoments(t.name());
                DeltaRequantizer.Result r = DeltaRequantizer.requantize(type, f.data(t), delta, nOut, nIn, importance, moments,
                        options.rounding(), options.alongWeight(), t.name().hashCode());
                q = r.data();
                stats = r.stats();
            } else {
                q = RowQuantizer.quantize(type.id(), target, nOut, nIn, type.isQuantized() ? importance : null);
            }
            float[] back = new float[w.length];
            Dequantizer.dequantize(type, MemorySegment.ofArray(q), back, 0, back.length);
            double en = 0;
            for (int i = 0; i < w.length; i++) {
                double d = back[i] - target[i];
                en += d * d;
            }
            TensorReport report = new TensorReport(t.name(), t.type(), type, Math.sqrt(wn), Math.sqrt(un), Math.sqrt(en), baseBytes, q.length, stats);
            GgmlType next = fixed == null && options.keepUpdate() > 0 && report.keptShare() < options.keepUpdate() ? TypeChoice.upgrade(type, nIn) : null;
            if (next == null) return new Written(q, report);
            type = next;
        }
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
