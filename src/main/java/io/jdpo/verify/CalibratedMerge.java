package io.jdpo.verify;

import io.jdpo.data.PreferencePair;
import io.jdpo.export.Merger;
import io.jdpo.gguf.ImportanceMatrix;
import io.jdpo.model.ImportanceCollector;
import io.jdpo.model.Transformer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A merge into the base's quantized types chosen by measurement: several delta
 * requantizations of the same adapters (the aligned rounding followed by its descent at
 * different weights, {@link #ALONG_WEIGHTS}) are written and each is measured in llama.cpp
 * against base + adapters on calibration pairs (the training data, never the held-out pairs
 * the merge is verified on); the one with the lowest mean KL is kept.
 *
 * <p>Why search rather than compute: which codes a 4-bit merge moves decides most of what it
 * costs, and the layer-wise error models (eᵀHe, with or without a weight on the error along
 * the update) do not order close candidates reliably (a weight that helps one adapter hurts
 * another), while the calibration KL orders them much as the held-out KL does (measured on
 * stories260K Q4_0, README "Merging"). Without an
 * importance matrix one is computed from the calibration pairs with the Java forward of the
 * base, with each input's full second moments when they fit {@link #SECOND_MOMENT_BUDGET}.
 *
 * <p>Cost: one llama.cpp pass of base + adapters and the base over the calibration pairs
 * ({@link MergeVerifier.Baseline}), then one merge and one pass of the candidate per
 * candidate, plus one Java forward over them for the importance matrix. At most two candidate files exist at once,
 * in a temporary folder beside the output that is removed afterwards; the output appears only
 * when the choice is made (a rename).
 */
public final class CalibratedMerge {
    /**
     * The descent weights tried, in order; 0 is the aligned rounding alone. Spread over two
     * orders of magnitude because the best one varied between adapters (0, 5, 10 and 200 were
     * each the best on one of those measured).
     */
    static final double[] ALONG_WEIGHTS = {0, 3, 5, 10, 20, 50, 200};
    /** The largest number of candidates: one per weight. */
    public static final int MAX_CANDIDATES = ALONG_WEIGHTS.length;
    /** Full second moments are collected when they take at most this many bytes, else column means only. */
    static final long SECOND_MOMENT_BUDGET = 1L << 30;

    /**
     * One candidate merge.
     *
     * @param alongWeight its descent weight
     * @param calibration its KL and accuracies against base + adapters on the calibration pairs
     */
    public record Candidate(double alongWeight, MergeVerifier.Report calibration) {
    }

    /**
     * What a calibrated merge wrote.
     *
     * @param merge      the kept candidate's merge (its output renamed to the requested path)
     * @param candidates every candidate measured, in the order tried
     * @param chosen     the index of the kept one in {@code candidates}
     * @param importance the importance matrix the candidates used (given or computed)
     */
    public record Result(Merger.Result merge, List<Candidate> candidates, int chosen, ImportanceMatrix importance) {
    }

    private CalibratedMerge() {
    }

    /**
     * Writes the best of up to {@code candidates} merges to {@code out}.
     *
     * @param base        the base model's GGUF file
     * @param adapters    the adapters and their scales
     * @param out         the merged GGUF to write (the caller decides whether an existing file may go)
     * @param options     the merge's options; their importance matrix is used when present, else
     *                    one is computed from {@code calibration}; their along weight is replaced
     * @param calibration tokenized pairs to measure the candidates on (the training data), at least one
     * @param candidates  how many weights of {@link #ALONG_WEIGHTS} to try, 1 to {@link #MAX_CANDIDATES}
     * @param threads     CPU threads for the Java forward and llama.cpp
     * @param log         receives one line per step (importance matrix, each candidate with its KL and the ETA)
     * @return the candidates and the choice
     * @throws IOException              if a file cannot be written, moved or removed
     * @throws IllegalArgumentException if there are no calibration pairs or {@code candidates} is out of range;
     *                                  as {@link Merger#merge} for unmergeable inputs
     */
    public static Result write(Path base, List<Merger.Input> adapters, Path out, Merger.Options options, List<PreferencePair> calibration,
                               int candidates, int threads, Consumer<String> log) throws IOException {
        if (calibration.isEmpty()) throw new IllegalArgumentException("a calibrated merge needs at least one calibration pair");
        if (candidates < 1 || candidates > MAX_CANDIDATES) {
            throw new IllegalArgumentException("candidates " + candidates + " is not in [1, " + MAX_CANDIDATES + "]");
        }
        ImportanceMatrix importance = options.importance() != null ? options.importance() : importance(base, calibration, threads, log);
        Map<Path, Float> scales = new LinkedHashMap<>();
        for (Merger.Input in : adapters) scales.put(in.adapter().path(), in.scale());
        Path absolute = out.toAbsolutePath();
        Path folder = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".candidates-");
        try {
            List<Candidate> tried = new ArrayList<>();
            Merger.Result best = null;
            Path bestFile = null;
            int chosen = -1;
            MergeVerifier.Baseline baseline = MergeVerifier.baseline(base, scales, calibration, threads);
            long start = System.nanoTime();
            for (int i = 0; i < candidates; i++) {
                double w = ALONG_WEIGHTS[i];
                Path file = folder.resolve("candidate-" + i + ".gguf");
                Merger.Result m = Merger.merge(base, adapters, file, options.withImportance(importance).withAlongWeight(w),
                        Map.of("jdpo.merge.along_weight", Double.toString(w)), null);
                MergeVerifier.Report r = baseline.verify(file);
                tried.add(new Candidate(w, r));
                boolean better = best == null || r.meanKl() < tried.get(chosen).calibration().meanKl();
                if (better) {
                    if (bestFile != null) Files.delete(bestFile);
                    best = m;
                    bestFile = file;
                    chosen = i;
                } else {
                    Files.delete(file);
                }
                double each = (System.nanoTime() - start) / 1e9 / (i + 1);
                boolean last = i == candidates - 1 || m.blocks().blocks() == 0;
                log.accept(String.format(Locale.ROOT, "calibrated merge: candidate %d/%d (along weight %s): KL %.3e mean, %.3e max on %d pairs%s; %.1f s each%s",
                        i + 1, candidates, weight(w), r.meanKl(), r.maxKl(), r.pairs(), better ? " (best so far)" : "", each,
                        last ? "" : String.format(Locale.ROOT, ", ETA %.0f s", each * (candidates - i - 1))));
                if (m.blocks().blocks() == 0) {
                    // No tensor went through delta requantization (another --type, or an unquantized
                    // base): every weight writes the same file.
                    log.accept("calibrated merge: no delta-requantized block, so every candidate is this one");
                    break;
                }
            }
            Files.move(bestFile, out, StandardCopyOption.ATOMIC_MOVE);
            Merger.Result kept = new Merger.Result(out, best.merged(), best.copied(), best.tensors());
            return new Result(kept, List.copyOf(tried), chosen, importance);
        } finally {
            try (Stream<Path> left = Files.list(folder)) {
                for (Path p : left.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(folder);
        }
    }

    private static ImportanceMatrix importance(Path base, List<PreferencePair> calibration, int threads, Consumer<String> log) throws IOException {
        try (Transformer tf = Transformer.load(base, threads)) {
            boolean moments = ImportanceCollector.secondMomentBytes(tf.config()) <= SECOND_MOMENT_BUDGET;
            ImportanceCollector c = new ImportanceCollector(tf, moments);
            for (PreferencePair p : calibration) c.addPair(p.prompt(), p.chosen(), p.rejected());
            log.accept(String.format(Locale.ROOT, "calibrated merge: importance matrix from %d calibration pairs (%d tokens)%s",
                    calibration.size(), c.tokens(), moments ? ", with second moments" : ", column means only (second moments past "
                            + (SECOND_MOMENT_BUDGET >> 20) + " MiB)"));
            return c.result("calibration");
        }
    }

    private static String weight(double w) {
        return w == Math.rint(w) ? Long.toString((long) w) : Double.toString(w);
    }
}
