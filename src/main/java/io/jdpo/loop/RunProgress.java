package io.jdpo.loop;

import io.jdpo.progress.TrainListener;

/**
 * One progress line for a whole run made of unlike parts (sampling prompts, optimizer steps,
 * evaluations): each part advances a shared count of work units, so the listener's
 * done/total, rate and ETA cover the run, not just the part under way.
 */
final class RunProgress {
    private final TrainListener listener;
    private final String stage;
    private final long total;
    private long done, tokens;

    RunProgress(TrainListener listener, String stage, long total) {
        this.listener = listener;
        this.stage = stage;
        this.total = total;
    }

    /** Counts {@code units} more units of work and {@code newTokens} more tokens, and reports. */
    void advance(long units, long newTokens) {
        done = Math.min(total, done + units);
        tokens += newTokens;
        listener.progress(stage, done, total, tokens);
    }

    /** A listener for a part of the run: its per-prompt "sample" progress advances this count by one unit per prompt. */
    TrainListener samplingUnits() {
        return new TrainListener() {
            private long last, lastTokens;

            @Override
            public void progress(String s, long d, long t, long tok) {
                advance(d - last, tok - lastTokens);
                last = d;
                lastTokens = tok;
            }
        };
    }
}
