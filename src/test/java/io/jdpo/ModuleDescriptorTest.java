package io.jdpo;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * module-info exports the library's packages, and neither the raw jextract bindings (which
 * hand out pointers with no lifetime checks) nor the command line.
 */
class ModuleDescriptorTest {
    @Test
    void exportsTheApiAndNotTheBindings() {
        ModuleDescriptor d = ModuleFinder.of(Path.of("target", "classes")).find("io.jdpo").orElseThrow().descriptor();
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : d.exports()) {
            assertFalse(e.isQualified(), e.toString());
            exported.add(e.source());
        }
        Set<String> expected = new TreeSet<>(d.packages());
        expected.remove("io.jdpo.bindings");
        expected.remove("io.jdpo.cli");
        assertEquals(expected, exported, "every package but the bindings and the CLI");
        assertTrue(d.opens().stream().anyMatch(o -> o.source().equals("io.jdpo.cli") && o.targets().equals(Set.of("info.picocli"))),
                "picocli fills the commands' fields");
    }
}
