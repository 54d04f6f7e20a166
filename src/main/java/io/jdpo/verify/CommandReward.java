package io.jdpo.verify;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A reward computed by an external program: run through {@code sh -c} once per text, the
 * text on its standard input, a number on the first line of its standard output. A failing
 * program, a timeout or output that is not a number stops the evaluation with the command
 * and what it printed. The program's standard error goes to this process's.
 *
 * @param command a shell command line
 */
public record CommandReward(String command) implements Reward {
    /**
     * Runs the command once on the text (UTF-8 on its standard input).
     *
     * @return the number on the first line of its standard output
     * @throws IllegalStateException if the command cannot start, exits non-zero, runs past 60 s
     *         after its output closes, prints no number, or the thread is interrupted; the
     *         message names the command
     */
    @Override
    public double score(String text) {
        try {
            Process p = new ProcessBuilder(List.of("sh", "-c", command)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("reward command timed out after 60 s: " + command);
            }
            if (p.exitValue() != 0) throw new IllegalStateException("reward command exited with " + p.exitValue() + ": " + command);
            String first = out.lines().findFirst().orElse("").strip();
            try {
                return Double.parseDouble(first);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("reward command printed '" + first + "', not a number: " + command);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run reward command '" + command + "': " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
