package io.jdpo.train;

import io.jdpo.JdpoException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The output folder of a training run. A folder holding an earlier run is kept as it is unless
 * the caller resumes that run or asks to replace it: its metrics and report cannot be made
 * again. The CLI and the Java API apply the same rule. Temporary files a killed run left
 * behind ({@code .NAME.*.partial}, a checkpoint set aside as {@code .step-N.old}) never sit
 * at an output path and are cleared.
 */
public final class RunFolder {
    /** Results a run writes into its folder: a new run there would replace them. */
    public static final List<String> RESULTS = List.of("adapter.gguf", "metrics.jsonl", "report.html");

    private RunFolder() {
    }

    /**
     * Fails naming the results found when {@code dir} holds an earlier run and neither resuming
     * nor overwriting: the one policy of the CLI and the Java API.
     *
     * @param dir       the output folder (need not exist)
     * @param resuming  the run resumes the run in {@code dir}
     * @param overwrite the user asked to replace an earlier run
     * @throws JdpoException naming the results found and the three ways on
     */
    public static void checkFree(Path dir, boolean resuming, boolean overwrite) {
        if (resuming || overwrite) return;
        List<String> found = RESULTS.stream().filter(f -> Files.exists(dir.resolve(f))).toList();
        if (!found.isEmpty()) {
            throw new JdpoException(dir + " holds an earlier run (" + String.join(", ", found)
                    + "): resume it (--resume), replace it (--overwrite, DpoTrainer.overwrite(true)), or choose another output folder");
        }
    }

    /** Deletes what interrupted writes left in the folder and its checkpoints. */
    static void clearLeftovers(Path out) throws IOException {
        for (Path dir : List.of(out, out.resolve("checkpoints"))) {
            if (!Files.isDirectory(dir)) continue;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, ".*.{partial,old}")) {
                for (Path p : s) Checkpoint.deleteTree(p);
            }
        }
    }

    /**
     * Writes {@code config.txt} (the run's configuration) beside and renames it, so a kill never
     * leaves half of it.
     *
     * @param dir    the output folder (exists)
     * @param config the configuration; its {@code toString()} is written
     * @throws java.io.IOException if it cannot be written
     */
    public static void writeConfig(Path dir, Object config) throws java.io.IOException {
        Path tmp = dir.resolve(".config.txt.partial");
        Files.writeString(tmp, config + System.lineSeparator());
        Files.move(tmp, dir.resolve("config.txt"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
