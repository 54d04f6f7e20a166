package io.jdpo.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The output folder of a training run. A folder holding an earlier run is kept as it is unless
 * the caller resumes that run or asks to replace it: its metrics and report cannot be made
 * again. The CLI and the Java API apply the same rule.
 */
public final class RunFolder {
    /** Results a run writes into its folder: a new run there would replace them. */
    public static final List<String> RESULTS = List.of("adapter.gguf", "metrics.jsonl", "report.html");

    private RunFolder() {
    }

    /** Fails naming the results found when {@code dir} holds an earlier run and neither resuming nor overwriting. */
    public static void checkFree(Path dir, boolean resuming, boolean overwrite) {
        if (resuming || overwrite) return;
        List<String> found = RESULTS.stream().filter(f -> Files.exists(dir.resolve(f))).toList();
        if (!found.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds an earlier run (" + String.join(", ", found)
                    + "): resume it (--resume), replace it (--overwrite), or choose another output folder");
        }
    }
}
