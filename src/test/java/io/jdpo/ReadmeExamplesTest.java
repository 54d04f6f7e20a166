package io.jdpo;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's Java listings are the examples' own code: each block marked
 * {@code <!-- example: PATH -->} equals that file of examples/ (which scripts/test.sh
 * compiles against the installed artifact), so the README cannot drift from code that builds.
 */
class ReadmeExamplesTest {
    @Test
    void everyMarkedListingIsTheExampleFile() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("<!-- example: (\\S+) -->\\n```java\\n(.*?)```\\n", Pattern.DOTALL).matcher(readme);
        int n = 0;
        while (m.find()) {
            assertEquals(Files.readString(Path.of(m.group(1))), m.group(2), "README listing of " + m.group(1));
            n++;
        }
        assertEquals(4, n, "listings of ScorePair, StreamWithAdapter, TrainDpo and SftThenDpo");
    }
}
