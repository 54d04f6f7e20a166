package io.jdpo.layout;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package table of the README as a check: every package of the main code uses only the
 * packages it may (the design's arrows point down and never back up), read from the sources'
 * imports and fully qualified names.
 */
class PackageArrowsTest {
    /** io.jdpo itself holds only the root exception, which every package may use. */
    private static final String ROOT = "(io.jdpo)";
    private static final Map<String, Set<String>> MAY_USE = Map.ofEntries(
            Map.entry(ROOT, Set.of()),
            Map.entry("bindings", Set.of()),
            Map.entry("numeric", Set.of()),
            Map.entry("llama", Set.of("bindings", "numeric")),
            Map.entry("gguf", Set.of()),
            Map.entry("tensor", Set.of("gguf", "numeric")),
            Map.entry("model", Set.of("tensor", "gguf")),
            Map.entry("adapter", Set.of("gguf", "tensor", "llama")),
            Map.entry("progress", Set.of()),
            Map.entry("report", Set.of()),
            Map.entry("data", Set.of("llama")),
            Map.entry("train", Set.of("data", "model", "adapter", "llama", "tensor", "gguf", "progress")),
            Map.entry("verify", Set.of("data", "model", "export", "llama", "tensor", "gguf", "progress")),
            Map.entry("export", Set.of("adapter", "gguf", "tensor", "llama", "progress")),
            Map.entry("loop", Set.of("train", "verify", "data", "llama", "report", "progress")),
            Map.entry("demo", Set.of("train", "data", "model", "verify", "export", "adapter", "report", "llama", "tensor", "gguf", "progress")),
            Map.entry("cli", Set.of("loop", "train", "data", "model", "verify", "export", "adapter", "report", "demo", "llama", "tensor", "gguf",
                    "progress", "bindings")));
    private static final Pattern USE = Pattern.compile("\\bio\\.jdpo\\.([a-z]+)\\.");

    @Test
    void everyPackageUsesOnlyWhatItMay() throws IOException {
        Path root = Path.of("src/main/java/io/jdpo");
        List<String> violations = new ArrayList<>();
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = root.relativize(f);
                String pkg = rel.getNameCount() == 1 ? ROOT : rel.getName(0).toString();
                packages.add(pkg);
                Set<String> allowed = MAY_USE.get(pkg);
                assertTrue(allowed != null, "package " + pkg + " is not in the layout table: add it to the README and here");
                Matcher m = USE.matcher(Files.readString(f));
                while (m.find()) {
                    String used = m.group(1);
                    if (!used.equals(pkg) && !allowed.contains(used)) violations.add(root.relativize(f) + " uses " + used);
                }
            }
        }
        System.out.println("package arrows: " + packages.size() + " packages checked: " + packages);
        assertEquals(List.of(), violations, "arrows against the layout table");
    }
}
