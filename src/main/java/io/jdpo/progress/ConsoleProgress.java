package io.jdpo.progress;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on a terminal: one line per stage update with done/total, tokens/s and ETA,
 * redrawn in place (at most every 200 ms), and messages on their own lines. Thread-safe (its
 * methods are synchronized), so several workers may share one.
 */
public final class ConsoleProgress implements TrainListener {
    private final PrintStream out;
    private final boolean quiet;
    private final int rowsEvery;
    private final java.util.Map<String, String> units = new java.util.HashMap<>();
    private String stage;
    private long stageStart, lastDraw;
    private boolean lineOpen;

    /**
     * A printer that shows every metric row.
     *
     * @param out where to print, usually System.err or System.out
     * @param quiet whether to print nothing at all
     */
    public ConsoleProgress(PrintStream out, boolean quiet) {
        this(out, quiet, 1);
    }

    /**
     * A printer that shows every {@code rowsEvery}-th training row (evaluation rows always).
     *
     * @param out where to print
     * @param quiet whether to print nothing at all
     * @param rowsEvery show training rows whose step is a multiple of this; values below 1 mean 1
     */
    public ConsoleProgress(PrintStream out, boolean quiet, int rowsEvery) {
        this.out = out;
        this.quiet = quiet;
        this.rowsEvery = Math.max(1, rowsEvery);
    }

    /**
     * Sets the rate's unit for a stage whose counts are not tokens ("tensors/s" for a merge).
     * Not synchronized: call it before the run starts.
     *
     * @param stage the stage's name
     * @param unit the unit printed after the rate (default "tok/s")
     * @return this printer
     */
    public ConsoleProgress unit(String stage, String unit) {
        units.put(stage, unit);
        return this;
    }

    /**
     * Redraws the stage's line: done/total, rate, elapsed time and ETA. Skipped when the last
     * draw was under 200 ms ago, unless the stage is complete; a new stage starts a new line.
     * Prints nothing when quiet.
     */
    @Override
    public synchronized void progress(String stage, long done, long total, long tokens) {
        if (quiet) return;
        long now = System.nanoTime();
        if (!stage.equals(this.stage)) {
            endLine();
            this.stage = stage;
            stageStart = now;
            lastDraw = 0;
        }
        if (done < total && now - lastDraw < 200_000_000L) return;
        lastDraw = now;
        double secs = Math.max(1e-9, (now - stageStart) / 1e9);
        double rate = secs < 0.05 ? 0 : tokens / secs;
        String eta = done == 0 ? "?" : formatSeconds(secs * (total - done) / done);
        out.printf(Locale.ROOT, "\r%-9s %d/%d  %.0f %s  %s elapsed  ETA %s   ", stage, done, total, rate,
                units.getOrDefault(stage, "tok/s"), formatSeconds(secs), eta);
        lineOpen = true;
        if (done >= total) endLine();
        out.flush();
    }

    /**
     * Prints the row's TRL-named values on one line, doubles to 4 significant digits; skipped
     * when quiet, or for a training step that is not a multiple of {@code rowsEvery}.
     */
    @Override
    public synchronized void metrics(StepMetrics metrics) {
        if (quiet || !metrics.eval() && metrics.step() % rowsEvery != 0) return;
        endLine();
        StringBuilder sb = new StringBuilder();
        metrics.row().forEach((k, v) -> sb.append(sb.isEmpty() ? "" : "  ").append(k).append('=')
                .append(v instanceof Double d ? String.format(Locale.ROOT, "%.4g", d) : v));
        out.println(sb);
    }

    /** Prints the line on its own, after closing any progress line; nothing when quiet. */
    @Override
    public synchronized void message(String line) {
        if (quiet) return;
        endLine();
        out.println(line);
    }

    private void endLine() {
        if (lineOpen) out.println();
        lineOpen = false;
    }

    static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
    }
}
