package io.jdpo.train;

import io.jdpo.adapter.AdapterFile;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;
import io.jdpo.tensor.LoraPair;
import io.jdpo.tensor.SegmentMath;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An adapter file a run starts from instead of a fresh adapter: an SFT adapter that DPO then
 * trains further (the usual SFT → DPO chain), with base + that adapter as the reference. Its
 * rank, alpha and targets decide the trained adapter's shape ({@link #fit}); its SHA-256 is part
 * of the run's identity and of the reference cache key, since both depend on its content.
 *
 * @param path    the adapter GGUF
 * @param rank    its rank (every pair of a jdpo adapter has the same)
 * @param alpha   its llama.cpp alpha (the scale is alpha / rank)
 * @param targets the projections it adapts
 * @param sha256  the file's SHA-256 (hex)
 */
public record InitAdapter(Path path, int rank, float alpha, Set<LoraTarget> targets, String sha256) {

    /**
     * Reads an adapter's shape and hash.
     *
     * @param path an F32, F16 or BF16 LoRA adapter GGUF (what jdpo writes)
     * @return its shape
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when it is no LoRA adapter, its pairs differ in rank,
     *                                  or a tensor is no projection jdpo trains
     */
    public static InitAdapter read(Path path) throws IOException {
        AdapterFile f = AdapterFile.read(path);
        int rank = -1;
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        for (Map.Entry<String, AdapterFile.Pair> e : f.pairs().entrySet()) {
            if (rank >= 0 && e.getValue().rank() != rank) {
                throw new IllegalArgumentException(path + ": tensor " + e.getKey() + " has rank " + e.getValue().rank()
                        + ", the others " + rank + " (a run starts from an adapter of one rank)");
            }
            rank = e.getValue().rank();
            targets.add(target(path, e.getKey()));
        }
        return new InitAdapter(path, rank, f.alpha(), targets, Fingerprint.file(path));
    }

    /**
     * The config with this adapter's rank, alpha and targets (and plain alpha/r scaling, as the
     * file's alpha already folds any rsLoRA in); every other setting kept.
     *
     * @param cfg the run's settings
     * @return the settings the trained adapter must have to start from this one
     */
    public TrainConfig fit(TrainConfig cfg) {
        return cfg.toBuilder().rank(rank).alpha(alpha).rsLora(false).targets(targets).build();
    }

    /**
     * Copies an adapter file into the trainable weights: A as it is, B rescaled so that
     * scale·B·A equals the file's alpha/r·B·A whatever the run's scale.
     *
     * @param path the adapter GGUF
     * @param lora weights of the same targets and rank, overwritten
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException when the file adapts other tensors, or at another rank or shape
     */
    static void apply(Path path, LoraWeights lora) throws IOException {
        AdapterFile f = AdapterFile.read(path);
        Map<String, LoraPair> mine = lora.byTensorName();
        if (!mine.keySet().equals(f.pairs().keySet())) {
            Set<String> missing = new TreeSet<>(mine.keySet()), extra = new TreeSet<>(f.pairs().keySet());
            missing.removeAll(f.pairs().keySet());
            extra.removeAll(mine.keySet());
            throw new IllegalArgumentException(path + " adapts other tensors than this run trains (missing: " + missing
                    + ", not trained: " + extra + "): use the adapter's targets (InitAdapter.fit)");
        }
        for (Map.Entry<String, LoraPair> e : mine.entrySet()) {
            LoraPair p = e.getValue();
            AdapterFile.Pair q = f.pairs().get(e.getKey());
            if (q.rank() != p.rank() || q.nIn() != p.nIn() || q.nOut() != p.nOut()) {
                throw new IllegalArgumentException(path + ": " + e.getKey() + " is rank " + q.rank() + ", " + q.nOut() + "x" + q.nIn()
                        + "; this run trains rank " + p.rank() + ", " + p.nOut() + "x" + p.nIn());
            }
            float ratio = f.scale(q) / lora.config().scale();
            // The same scale written and read back may differ in its last bit: copy B as it is then.
            if (Math.abs(ratio - 1) < 1e-6f) ratio = 1;
            for (int i = 0; i < q.a().length; i++) SegmentMath.set(p.a(), i, q.a()[i]);
            for (int i = 0; i < q.b().length; i++) SegmentMath.set(p.b(), i, q.b()[i] * ratio);
        }
    }

    private static LoraTarget target(Path path, String tensor) {
        // "blk.3.attn_q.weight" → attn_q
        String[] parts = tensor.split("\\.");
        if (parts.length != 4 || !parts[0].equals("blk") || !parts[3].equals("weight")) {
            throw new IllegalArgumentException(path + ": tensor " + tensor + " is no block projection jdpo trains");
        }
        return LoraTarget.parse(parts[2]);
    }
}
