package io.jdpo.verify;

import io.jdpo.model.DequantizedCopy;

import io.jdpo.tensor.VectorMath;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.Tokenizer;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.Arithmetic;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How closely the Java forward reproduces llama.cpp on the same tokens: mean and max
 * |Δ log-prob| over every scored token, and how often both engines rank the same token first.
 * Each measurement loads what it compares and closes it before it returns. llama.cpp scores
 * with F32 K/V and no flash attention (exact scoring, see {@link ContextParams}).
 *
 * @param tokens how many next-token predictions were compared
 * @param meanAbs the mean |Δ log-prob| in nats (NaN when no token was compared)
 * @param maxAbs the largest |Δ log-prob| in nats
 * @param top1Agreement the share of predictions whose highest logit is the same token in both, in [0, 1]
 */
public record ParityReport(int tokens, double meanAbs, double maxAbs, double top1Agreement) {

    /**
     * {@return the built-in sample text (short children's stories, written for this project),
     * one story per line}
     *
     * @throws UncheckedIOException if the resource cannot be read
     */
    public static String sampleText() {
        try (InputStream in = ParityReport.class.getResourceAsStream("parity-sample.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Splits the text into lines, scores each line's tokens (after BOS) with both engines and
     * compares. Lines longer than {@code window} tokens are cut into windows that overlap by
     * one token. The Java forward runs in the deployed arithmetic.
     *
     * @param model the GGUF model both engines load
     * @param text the text to score, one sequence per non-blank line
     * @param window the most tokens per sequence, 2 to 512 and at most the trained context
     * @param threads CPU threads for each engine
     * @return the comparison
     * @throws IOException if the Java forward cannot read the model
     * @throws io.jdpo.model.UnsupportedModelException if the Java forward does not support it
     * @throws io.jdpo.llama.LlamaException if llama.cpp cannot load it
     */
    public static ParityReport measure(Path model, String text, int window, int threads) throws IOException {
        return measure(model, text, window, threads, Arithmetic.DEPLOYED);
    }

    /**
     * As {@link #measure(Path, String, int, int)} with the Java forward in the given arithmetic.
     *
     * @param model the GGUF model both engines load
     * @param text the text to score, one sequence per non-blank line
     * @param window the most tokens per sequence, 2 to 512 and at most the trained context
     * @param threads CPU threads for each engine
     * @param arithmetic how the Java forward rounds (deployed: as llama.cpp's kernels; float: exact)
     * @return the comparison
     * @throws IOException if the Java forward cannot read the model
     * @throws io.jdpo.model.UnsupportedModelException if the Java forward does not support it
     */
    public static ParityReport measure(Path model, String text, int window, int threads, Arithmetic arithmetic) throws IOException {
        try (LlamaModel lm = LlamaModel.load(model);
             LlamaScorer llama = new LlamaScorer(lm, window, threads);
             Transformer tf = Transformer.load(model, threads).arithmetic(arithmetic)) {
            return compare(sequences(lm.tokenizer(), text, window), llama, s -> tf.logits(s, 1), tf.config().vocab());
        }
    }

    /**
     * Train = deploy: the Java forward (deployed arithmetic) with {@code javaAdapter} against
     * llama.cpp running the exported {@code adapter} file on the same model.
     *
     * @param model the base model's GGUF file
     * @param adapter the exported adapter file llama.cpp attaches at scale 1
     * @param javaAdapter the same adapter as the Java forward holds it
     * @param text the text to score, one sequence per non-blank line
     * @param window the most tokens per sequence, 2 to 512 and at most the trained context
     * @param threads CPU threads for each engine
     * @return the comparison
     * @throws IOException if the Java forward cannot read the model
     * @throws io.jdpo.model.UnsupportedModelException if the Java forward does not support it
     * @throws io.jdpo.llama.LlamaException if llama.cpp cannot load the model or adapter
     */
    public static ParityReport withAdapter(Path model, Path adapter, io.jdpo.model.LoraWeights javaAdapter, String text, int window,
                                           int threads) throws IOException {
        try (LlamaModel lm = LlamaModel.load(model);
             io.jdpo.llama.LoraAdapter la = io.jdpo.llama.LoraAdapter.load(lm, adapter);
             LlamaScorer llama = new LlamaScorer(lm, window, threads);
             Transformer tf = Transformer.load(model, threads)) {
            llama.ctx.attach(la, 1f);
            tf.setAdapter(javaAdapter);
            return compare(sequences(lm.tokenizer(), text, window), llama, s -> tf.logits(s, 1), tf.config().vocab());
        }
    }

    /**
     * llama.cpp against itself: how far its log-probs move from model {@code a} to model
     * {@code b} (same vocabulary) on the same tokens. With b a copy of a perturbed at the level
     * of float rounding, this is the floor no other engine can be expected to beat.
     *
     * @param a the model compared against
     * @param b the other model
     * @param text the text to score, one sequence per non-blank line (tokenized by {@code a})
     * @param window the most tokens per sequence, 2 to 512 and at most the trained context
     * @param threads CPU threads for each
     * @return the comparison
     * @throws IOException declared for symmetry with the other measurements
     * @throws io.jdpo.llama.LlamaException if llama.cpp cannot load a model
     */
    public static ParityReport betweenFiles(Path a, Path b, String text, int window, int threads) throws IOException {
        try (LlamaModel la = LlamaModel.load(a);
             LlamaModel lb = LlamaModel.load(b);
             LlamaScorer sa = new LlamaScorer(la, window, threads);
             LlamaScorer sb = new LlamaScorer(lb, window, threads)) {
            return compare(sequences(la.tokenizer(), text, window), sa, sb, sa.vocab());
        }
    }

    /**
     * Where a quantized model's gap comes from: the Java forward on {@code model} in the
     * deployed arithmetic against llama.cpp on it, in the float arithmetic against llama.cpp
     * on it and on {@code copy} (its weights in F32, from {@code DequantizedCopy}), and
     * llama.cpp's copy against llama.cpp's quantized file. Each engine scores each sequence
     * once (the Java forward once per arithmetic).
     *
     * @param javaVsLlama the Java forward (deployed arithmetic) on the model against llama.cpp on it
     * @param floatVsLlama the Java forward (float arithmetic) on the model against llama.cpp on it
     * @param javaVsCopy the Java forward (float arithmetic) on the model against llama.cpp on the F32 copy
     * @param copyVsLlama llama.cpp on the quantized model against llama.cpp on the copy
     */
    public record ThreeWay(ParityReport javaVsLlama, ParityReport floatVsLlama, ParityReport javaVsCopy, ParityReport copyVsLlama) {
    }

    /**
     * Measures the four comparisons of {@link ThreeWay}.
     *
     * @param model the (quantized) GGUF model
     * @param copy its weights in F32, as {@code DequantizedCopy} writes them
     * @param text the text to score, one sequence per non-blank line
     * @param window the most tokens per sequence, 2 to 512 and at most the trained context
     * @param threads CPU threads for each engine
     * @return the four reports
     * @throws IOException if the Java forward cannot read the model
     * @throws io.jdpo.model.UnsupportedModelException if the Java forward does not support it
     * @throws io.jdpo.llama.LlamaException if llama.cpp cannot load a model
     */
    public static ThreeWay againstCopy(Path model, Path copy, String text, int window, int threads) throws IOException {
        try (LlamaModel lm = LlamaModel.load(model);
             LlamaModel lc = LlamaModel.load(copy);
             LlamaScorer llama = new LlamaScorer(lm, window, threads);
             LlamaScorer onCopy = new LlamaScorer(lc, window, threads);
             Transformer tf = Transformer.load(model, threads)) {
            int V = tf.config().vocab();
            Tally javaLlama = new Tally(V), floatLlama = new Tally(V), javaCopy = new Tally(V), copyLlama = new Tally(V);
            for (int[] s : sequences(lm.tokenizer(), text, window)) {
                float[] j = tf.arithmetic(Arithmetic.DEPLOYED).logits(s, 1), f = tf.arithmetic(Arithmetic.FLOAT).logits(s, 1);
                float[] l = llama.of(s), c = onCopy.of(s);
                javaLlama.add(s, l, j);
                floatLlama.add(s, l, f);
                javaCopy.add(s, c, f);
                copyLlama.add(s, c, l);
            }
            return new ThreeWay(javaLlama.report(), floatLlama.report(), javaCopy.report(), copyLlama.report());
        }
    }

    /** Logits predicting tokens 1.. of a sequence: (length − 1) rows of vocab values. */
    private interface Logits {
        float[] of(int[] seq);
    }

    private static List<int[]> sequences(Tokenizer tok, String text, int window) {
        List<int[]> seqs = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            int[] all = tok.tokenize(line, true, false);
            for (int s = 0; s + 1 < all.length; s += window - 1) {
                seqs.add(java.util.Arrays.copyOfRange(all, s, Math.min(all.length, s + window)));
            }
        }
        return seqs;
    }

    /** Compares the log-prob of every next token and the top-1 choice of the two engines (b against a). */
    private static ParityReport compare(List<int[]> seqs, Logits a, Logits b, int V) {
        Tally tally = new Tally(V);
        for (int[] s : seqs) tally.add(s, a.of(s), b.of(s));
        return tally.report();
    }

    /** |Δ log-prob| and top-1 agreement summed over sequences, one pair of engines. */
    private static final class Tally {
        private final int V;
        private int n, agree;
        private double sum, max;

        Tally(int V) {
            this.V = V;
        }

        /** Adds one sequence's logits from both engines (b against a). */
        void add(int[] s, float[] ra, float[] rb) {
            for (int t = 0; t + 1 < s.length; t++) {
                int o = t * V;
                double la = ra[o + s[t + 1]] - VectorMath.logSumExp(ra, o, V);
                double lb = rb[o + s[t + 1]] - VectorMath.logSumExp(rb, o, V);
                double d = Math.abs(lb - la);
                sum += d;
                max = Math.max(max, d);
                if (argmax(ra, o, V) == argmax(rb, o, V)) agree++;
                n++;
            }
        }

        ParityReport report() {
            return new ParityReport(n, sum / n, max, (double) agree / n);
        }
    }

    /** llama.cpp's logits for one sequence at a time (F32 K/V, no flash attention: exact scoring). */
    private static final class LlamaScorer implements Logits, AutoCloseable {
        private final LlamaContext ctx;
        private final Batch batch;

        LlamaScorer(LlamaModel lm, int window, int threads) {
            this.ctx = LlamaContext.create(lm, ContextParams.of(Math.min(lm.trainingContextLength(), Math.max(256, 4 * window)))
                    .withThreads(threads));
            this.batch = new Batch(window, 1);
        }

        int vocab() {
            return ctx.vocabularySize();
        }

        @Override
        public float[] of(int[] s) {
            return ctx.sequenceLogits(batch, s, 1);
        }

        @Override
        public void close() {
            batch.close();
            ctx.close();
        }
    }

    private static int argmax(float[] z, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (z[off + i] > z[off + best]) best = i;
        return best;
    }

    /** {@return one line: tokens, mean and max |Δ| in nats, top-1 agreement in percent} */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d tokens, mean |Δ| %.2e, max |Δ| %.2e nats, top-1 agreement %.1f%%",
                tokens, meanAbs, maxAbs, 100 * top1Agreement);
    }
}
