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
 * and what it printed.
 */
public record CommandReward(String command) implements Reward {
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
