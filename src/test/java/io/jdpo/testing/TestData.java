package io.jdpo.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared test files beside the project (../shared/testdata, or -Djdpo.testdata).
 * Tests that need one skip with a message naming the path when it is absent.
 */
public final class TestData {
    private TestData() {
    }

    public static Path root() {
        String prop = System.getProperty("jdpo.testdata");
        return prop != null && !prop.isBlank() ? Path.of(prop) : Path.of("..", "shared", "testdata");
    }

    /** A shared file, or a skipped test when the folder is not there. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p),
                "shared test data absent: " + p.toAbsolutePath() + " (skipping; CI always has it)");
        return p;
    }

    public static Path stories260K() {
        return require("models/stories260K.gguf");
    }

    public static Path tinyRandomLlama2() {
        return require("models/llama-2-tiny-random.gguf");
    }
}
