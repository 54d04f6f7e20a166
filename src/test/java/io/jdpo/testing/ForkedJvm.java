package io.jdpo.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a fresh JVM with the test class path and the project's JVM flags, so
 * a test can watch for what would otherwise kill the test runner itself: a native crash, an
 * OutOfMemoryError under a small heap, a SIGKILL.
 */
public final class ForkedJvm {
    private ForkedJvm() {
    }

    /** What the child printed (stdout and stderr together) and how it ended. */
    public record Result(int exitCode, String output) {
    }

    public static List<String> command(List<String> jvmOptions, Class<?> main, String... args) {
        return command(true, jvmOptions, main, args);
    }

    /** {@code vectorModule} false leaves out --add-modules jdk.incubator.vector, as an application might. */
    public static List<String> command(boolean vectorModule, List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (vectorModule) {
            cmd.add("--add-modules");
            cmd.add("jdk.incubator.vector");
        }
        cmd.add("-XX:-CreateCoredumpOnCrash");
        cmd.add("-XX:ErrorFile=/dev/null");
        for (String prop : List.of("jdpo.native.dir", "jdpo.testdata")) {
            String v = System.getProperty(prop);
            if (v != null && !v.isBlank()) cmd.add("-D" + prop + "=" + v);
        }
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    public static Result run(List<String> jvmOptions, Class<?> main, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        return runCommand(command(jvmOptions, main, args), main, timeoutSeconds);
    }

    public static Result runCommand(List<String> command, Class<?> main, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = ("(output unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            reader.join();
            throw new AssertionError(main.getSimpleName() + " did not finish in " + timeoutSeconds + " s:\n"
                    + new String(out[0], StandardCharsets.UTF_8));
        }
        reader.join();
        return new Result(p.exitValue(), new String(out[0], StandardCharsets.UTF_8));
    }
}
