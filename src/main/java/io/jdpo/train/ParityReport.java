package io.jdpo.train;

import io.jdpo.tensor.VectorMath;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.Tokenizer;
import io.jdpo.model.Transformer;

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
 */
public record ParityReport(int tokens, double meanAbs, double maxAbs, double top1Agreement) {

    /** The built-in sample text (short children's stories, written for this project). */
    public static String sampleText() {
        try (InputStream in = ParityReport.class.getResourceAsStream("parity-sample.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Splits the text into lines, scores each line's tokens (after BOS) with both engines and
     * compares. Lines longer than {@code window} tokens are cut into windows.
     */
    public static ParityReport measure(Path model, String text, int window, int threads) throws IOException {
        return measure(model, model, text, window, threads);
    }

    /**
     * The Java forward on {@code model} against llama.cpp on {@code llamaModel} (same
     * vocabulary), for example a float copy of a quantized model's weights, so llama.cpp
     * multiplies without quantizing its activations.
     */
    public static ParityReport measure(Path model, Path llamaModel, String text, int window, int threads) throws IOException {
        try (LlamaModel lm = LlamaModel.load(llamaModel);
             LlamaScorer llama = new LlamaScorer(lm, window, threads);
             Transformer tf = Transformer.load(model, threads)) {
            return compare(sequences(lm.tokenizer(), text, window), llama, s -> tf.logits(s, 1), tf.config().vocab());
        }
    }

    /**
     * llama.cpp against itself: how far its log-probs move from model {@code a} to model
     * {@code b} (same vocabulary) on the same tokens. With b a copy of a perturbed at the level
     * of float rounding, this is the floor no other engine can be expected to beat.
     */
    public static ParityReport betweenFiles(Path a, Path b, String text, int window, int threads) throws IOException {
        try (LlamaModel la = LlamaModel.load(a);
             LlamaModel lb = LlamaModel.load(b);
             LlamaScorer sa = new LlamaScorer(la, window, threads);
             LlamaScorer sb = new LlamaScorer(lb, window, threads)) {
            return compare(sequences(la.tokenizer(), text, window), sa, sb, sa.vocab());
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
        int n = 0, agree = 0;
        double sum = 0, max = 0;
        for (int[] s : seqs) {
            float[] ra = a.of(s), rb = b.of(s);
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
        return new ParityReport(n, sum / n, max, (double) agree / n);
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
            int V = vocab();
            ctx.clearMemory();
            batch.clear();
            for (int t = 0; t < s.length; t++) batch.add(s[t], t, t < s.length - 1, 0);
            ctx.decode(batch);
            float[] out = new float[(s.length - 1) * V], row = new float[V];
            for (int t = 0; t + 1 < s.length; t++) {
                ctx.logitsInto(t, row);
                System.arraycopy(row, 0, out, t * V, V);
            }
            return out;
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

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d tokens, mean |Δ| %.2e, max |Δ| %.2e nats, top-1 agreement %.1f%%",
                tokens, meanAbs, maxAbs, 100 * top1Agreement);
    }
}
