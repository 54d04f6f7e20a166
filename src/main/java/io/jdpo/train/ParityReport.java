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
        List<int[]> seqs = new ArrayList<>();
        try (LlamaModel lm = LlamaModel.load(model);
             LlamaContext ctx = LlamaContext.create(lm, ContextParams.of(Math.min(lm.trainingContextLength(), Math.max(256, 4 * window)))
                     .withSequences(4).withThreads(threads))) {
            Tokenizer tok = lm.tokenizer();
            for (String line : text.split("\n")) {
                if (line.isBlank()) continue;
                int[] all = tok.tokenize(line, true, false);
                for (int s = 0; s + 1 < all.length; s += window - 1) {
                    seqs.add(java.util.Arrays.copyOfRange(all, s, Math.min(all.length, s + window)));
                }
            }
            try (Transformer tf = Transformer.load(model, threads);
                 Batch batch = new Batch(window, 1)) {
                int V = tf.config().vocab(), n = 0, agree = 0;
                double sum = 0, max = 0;
                float[] row = new float[V];
                for (int[] s : seqs) {
                    float[] ours = tf.logits(s, 1);
                    ctx.clearMemory();
                    batch.clear();
                    for (int t = 0; t < s.length; t++) batch.add(s[t], t, t < s.length - 1, 0);
                    ctx.decode(batch);
                    for (int t = 0; t + 1 < s.length; t++) {
                        ctx.logitsInto(t, row);
                        double theirs = row[s[t + 1]] - VectorMath.logSumExp(row, 0, V);
                        double mine = ours[t * V + s[t + 1]] - VectorMath.logSumExp(ours, t * V, V);
                        double dlt = Math.abs(mine - theirs);
                        sum += dlt;
                        max = Math.max(max, dlt);
                        if (argmax(row, 0, V) == argmax(ours, t * V, V)) agree++;
                        n++;
                    }
                }
                return new ParityReport(n, sum / n, max, (double) agree / n);
            }
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
