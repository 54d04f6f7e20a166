package io.jdpo.train;

import io.jdpo.progress.TrainListener;

import io.jdpo.data.PreferencePair;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.Device;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LlamaRuntime;
import io.jdpo.llama.LogProbScorer;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.llama.ModelParams;
import io.jdpo.llama.ScoreRequest;
import io.jdpo.llama.TokenLogProbs;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference model's log-probs of every pair, computed by llama.cpp on the frozen base
 * (on the GPU when built for it and {@code gpuLayers} allows), the prompt's KV cells shared
 * by chosen and rejected. Results are cached on disk under a {@link ReferenceCacheKey}: the
 * model file's SHA-256 (and that of an adapter scored with it, {@link #adapter}), the pairs' tokens (which carry the chat template and the length
 * limits), the llama.cpp commit, the backend and the context settings, so a later run on the
 * same model, data and setup skips the scoring.
 *
 * <p>Not thread-safe: one thread configures and calls a scorer. Each {@code score} call loads
 * the model, scores and closes it again, so a scorer holds no native memory between calls.
 */
public final class ReferenceScorer {
    private static final long MAGIC = 0x4a44504f52454631L; // "JDPOREF1"

    /**
     * Per-token reference log-probs of one pair's chosen and rejected completions: natural log
     * (nats, ≤ 0) of each completion token given the prompt and the tokens before it. The arrays
     * are held as given, not copied: callers treat them as read-only.
     *
     * @param chosen one log-prob per token of the chosen completion
     * @param rejected one log-prob per token of the rejected completion
     */
    public record Scores(float[] chosen, float[] rejected) {
        /** {@return the chosen completion's log-probability: the sum of {@link #chosen()}, in nats} */
        public double chosenSum() {
            return TokenLogProbs.of(chosen).sum();
        }

        /** {@return the rejected completion's log-probability: the sum of {@link #rejected()}, in nats} */
        public double rejectedSum() {
            return TokenLogProbs.of(rejected).sum();
        }
    }

    private final Path model;
    private final int threads;
    private final int gpuLayers;
    private final Path cacheDir;
    /** An adapter attached while scoring (the SFT model as reference), or null for the base. */
    private Path adapter;

    /**
     * A scorer of the base model; nothing is loaded until {@link #score(List, TrainListener)}.
     *
     * @param model the base model's GGUF file (the frozen reference)
     * @param threads CPU threads llama.cpp uses; must be positive (checked when scoring)
     * @param gpuLayers layers llama.cpp offloads to the GPU ({@code 0}: CPU only); part of the
     *        cache key, since backends differ in their arithmetic
     * @param cacheDir folder of the on-disk cache ({@link #defaultCacheDir()}), or null to
     *        score every time and write nothing
     */
    public ReferenceScorer(Path model, int threads, int gpuLayers, Path cacheDir) {
        this.model = model;
        this.threads = threads;
        this.gpuLayers = gpuLayers;
        this.cacheDir = cacheDir;
    }

    /**
     * Scores base + {@code adapter} instead of the base: llama.cpp attaches the adapter (scale 1)
     * to its context, and the cache key holds the adapter file's SHA-256.
     *
     * @param adapter a LoRA adapter GGUF of this model, or null for the base alone
     * @return this scorer
     */
    public ReferenceScorer adapter(Path adapter) {
        this.adapter = adapter;
        return this;
    }

    /**
     * {@return where llama.cpp scores the reference, in words} "llama.cpp on the CPU", or the
     * first GPU's name and description when layers are offloaded. Backends have arithmetic of their own (CUDA quantizes activations
     * to Q8_1 for its quantized kernels and uses F16 through cuBLAS on large batches), so the
     * step-0 report names the one it compared with.
     */
    public String backend() {
        if (gpuLayers != 0) {
            for (io.jdpo.llama.Device d : io.jdpo.llama.LlamaRuntime.get().devices()) {
                if (d.isGpu()) return "llama.cpp on " + d.name() + " (" + d.description() + ")";
            }
        }
        return "llama.cpp on the CPU";
    }

    /** {@return the default cache folder, {@code ~/.cache/jdpo/reference} (not created here)} */
    public static Path defaultCacheDir() {
        return Path.of(System.getProperty("user.home"), ".cache", "jdpo", "reference");
    }

    /**
     * Scores every pair with llama.cpp, or reads the scores from the cache when an earlier run
     * with the same key wrote them (a damaged cache file is recomputed and replaced). A new
     * result is written to the cache whole (temp file, then rename). With a cache this first
     * hashes the model file (seconds for gigabytes); the other overload skips that.
     *
     * @param pairs the tokenized pairs, in the order the result follows
     * @param listener receives {@code progress("reference", pairsDone, pairs, tokens)} while
     *        scoring, or a message naming the cache file when read from it
     * @return one {@link Scores} per pair, in the order of {@code pairs}
     * @throws IOException if the model file cannot be hashed, or the cache cannot be read or
     *         written
     * @throws java.io.UncheckedIOException if the adapter file cannot be hashed for the cache key
     * @throws IllegalArgumentException if a pair needs more positions than the model was trained
     *         for (lower the maximum length)
     * @throws io.jdpo.llama.LlamaException if llama.cpp refuses the model or the adapter
     */
    public List<Scores> score(List<PreferencePair> pairs, TrainListener listener) throws IOException {
        return score(pairs, cacheDir == null ? null : Fingerprint.file(model), listener);
    }

    /**
     * As {@link #score(List, TrainListener)}, with the model file's SHA-256 already known (a
     * caller that hashed it), so the file is not read twice.
     *
     * @param pairs the tokenized pairs, in the order the result follows
     * @param modelSha256 the model file's SHA-256 in lower-case hex; unused (may be null) when
     *        the cache is disabled
     * @param listener receives the scoring's progress, or a message naming the cache file
     * @return one {@link Scores} per pair, in the order of {@code pairs}
     * @throws IOException if the cache cannot be read or written
     * @throws java.io.UncheckedIOException if the adapter file cannot be hashed for the cache key
     * @throws IllegalArgumentException if a pair needs more positions than the model was trained
     *         for (lower the maximum length)
     * @throws io.jdpo.llama.LlamaException if llama.cpp refuses the model or the adapter
     */
    public List<Scores> score(List<PreferencePair> pairs, String modelSha256, TrainListener listener) throws IOException {
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withGpuLayers(gpuLayers))) {
            Plan plan = plan(m, pairs);
            Path file = cacheDir == null ? null : cacheDir.resolve(cacheKey(modelSha256, pairs, plan).fileName());
            if (file != null && Files.exists(file)) {
                List<Scores> cached = read(file, pairs);
                if (cached != null) {
                    listener.message("reference log-probs: " + pairs.size() + " pairs from cache " + file);
                    return cached;
                }
            }
            List<Scores> out = new ArrayList<>(pairs.size());
            scoreAll(m, plan, pairs, out, listener);
            if (file != null) write(file, out);
            return out;
        }
    }

    /** The context a scoring run uses, and whether chosen and rejected share the prompt's cells. */
    record Plan(ContextParams context, boolean share) {
    }

    ReferenceCacheKey cacheKey(String modelSha256, List<PreferencePair> pairs, Plan plan) {
        return new ReferenceCacheKey(modelSha256, Fingerprint.pairs(pairs), LlamaRuntime.llamaCppCommit(),
                backend(gpuLayers), plan.context(), plan.share(), adapterSha256());
    }

    /** The attached adapter's SHA-256, or null without one. */
    private String adapterSha256() {
        try {
            return adapter == null ? null : Fingerprint.file(adapter);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read reference adapter " + adapter, e);
        }
    }

    /** The CPU kernels in use (they follow this processor's features) and any GPU that takes layers. */
    static String backend(int gpuLayers) {
        LlamaRuntime r = LlamaRuntime.get();
        StringBuilder b = new StringBuilder(r.systemInfo().strip());
        if (gpuLayers != 0 && r.hasGpu()) {
            b.append(" | gpu_layers=").append(gpuLayers);
            for (Device d : r.devices()) if (d.isGpu()) b.append(" | ").append(d.name()).append(": ").append(d.description());
        }
        return b.toString();
    }

    private Plan plan(LlamaModel m, List<PreferencePair> pairs) {
        int shared = 0, separate = 0;
        for (PreferencePair p : pairs) {
            shared = Math.max(shared, p.packedLength());
            separate = Math.max(separate, p.longestSequence());
        }
        int trained = m.trainingContextLength();
        // Phi-3's long-context models: llama.cpp rotates with the long rope factors once its
        // context exceeds rope.scaling.original_context_length, the Java policy always with
        // the short ones, so the reference stays within that length.
        if (m.metadata("general.architecture").orElse("").equals("phi3")) {
            trained = Math.min(trained, m.metadata("phi3.rope.scaling.original_context_length").map(Integer::parseInt).orElse(trained));
        }
        if (separate > trained) {
            throw new IllegalArgumentException("a pair needs " + separate + " positions; " + model + " was trained for "
                    + trained + " (lower max_length)");
        }
        // One pair per call, its prompt's cells shared by chosen and rejected when the whole pair
        // fits, else each sequence scored on its own. Each call is then the decodes the Java
        // policy's pair forward follows (the prompt, then both completions, from an empty cache):
        // pairs packed into one call shared its batches and cells, so the policy at step 0 was
        // not the reference to the bit (2.2e-4 nats per token on stories260K Q8_0). It is not
        // slower: llama.cpp attends every token over all of a call's cells, so packing cost
        // attention work (on the 0.1B benchmark model with HH-RLHF pairs, max length 256, eight
        // pairs per call scored 430 tokens/s, one pair per call 678; scoring.sh, 2026-12-01).
        boolean share = shared <= trained;
        int nCtx = Math.max(1, share ? shared : separate);
        return new Plan(ContextParams.of(nCtx).withSequences(2).withBatch(Math.min(nCtx, 2048))
                .withThreads(threads), share);
    }

    private void scoreAll(LlamaModel m, Plan plan, List<PreferencePair> pairs, List<Scores> out, TrainListener listener) {
        // The context closes before the adapter it holds.
        try (LoraAdapter lora = adapter == null ? null : LoraAdapter.load(m, adapter);
             LlamaContext ctx = LlamaContext.create(m, plan.context())) {
            if (lora != null) ctx.attach(lora, 1f);
            LogProbScorer scorer = new LogProbScorer(ctx, plan.share());
            long tokens = 0;
            // A call per pair (see plan): a shorter pair would share a call with the next where both fit its cells.
            for (PreferencePair p : pairs) {
                List<TokenLogProbs> r = scorer.score(List.of(ScoreRequest.pair(p.prompt(), p.chosen(), p.rejected()))).getFirst();
                out.add(new Scores(r.get(0).logProbs(), r.get(1).logProbs()));
                tokens += p.packedLength();
                listener.progress("reference", out.size(), pairs.size(), tokens);
            }
        }
    }

    private static List<Scores> read(Path file, List<PreferencePair> pairs) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readLong() != MAGIC || in.readInt() != pairs.size()) return null;
            List<Scores> out = new ArrayList<>(pairs.size());
            for (PreferencePair p : pairs) {
                float[] c = readArray(in, p.chosen().length), r = readArray(in, p.rejected().length);
                if (c == null || r == null) return null;
                out.add(new Scores(c, r));
            }
            return out;
        } catch (java.io.EOFException e) {
            return null; // a damaged cache file is recomputed and replaced
        }
    }

    private static float[] readArray(DataInputStream in, int expected) throws IOException {
        if (in.readInt() != expected) return null;
        float[] a = new float[expected];
        for (int i = 0; i < expected; i++) a[i] = in.readFloat();
        return a;
    }

    private static void write(Path file, List<Scores> scores) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".partial");
        try {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeLong(MAGIC);
                out.writeInt(scores.size());
                for (Scores s : scores) {
                    for (float[] a : new float[][]{s.chosen(), s.rejected()}) {
                        out.writeInt(a.length);
                        for (float v : a) out.writeFloat(v);
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
