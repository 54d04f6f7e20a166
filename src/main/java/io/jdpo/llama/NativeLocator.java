package io.jdpo.llama;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Finds the folder holding llama.cpp's shared libraries. Order: the system property
 * {@value #PROPERTY}, the environment variable {@value #ENV}, then native/build.sh's cache
 * ({@code $JDPO_NATIVE_CACHE} or {@code ~/.cache/jdpo/native}) for the pinned commit.
 * A failure lists every place it looked.
 */
final class NativeLocator {
    static final String PROPERTY = "jdpo.native.dir";
    static final String ENV = "JDPO_NATIVE_DIR";
    static final String LIBRARY = "libllama.so";

    private NativeLocator() {
    }

    /** The folder that holds libllama.so and the ggml libraries. */
    static Path locate() {
        List<String> tried = new ArrayList<>();
        String explicit = System.getProperty(PROPERTY);
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(ENV);
        }
        if (explicit != null && !explicit.isBlank()) {
            Path dir = Path.of(explicit);
            for (Path candidate : List.of(dir, dir.resolve("lib"))) {
                tried.add(candidate.resolve(LIBRARY).toString());
                if (Files.isRegularFile(candidate.resolve(LIBRARY))) {
                    return candidate.toAbsolutePath();
                }
            }
            throw notFound(tried, "-D" + PROPERTY + "/" + ENV + " points at " + explicit);
        }
        Path cache = cacheRoot();
        String commit = pinnedCommit();
        boolean wantCuda = "1".equals(System.getenv("JDPO_CUDA"));
        List<Path> builds = new ArrayList<>();
        if (Files.isDirectory(cache)) {
            try (Stream<Path> entries = Files.list(cache)) {
                entries.filter(p -> p.getFileName().toString().startsWith(commit.substring(0, 12) + "-"))
                        .filter(p -> Files.isRegularFile(p.resolve(".complete")))
                        .sorted(Comparator.comparing(Path::toString))
                        .forEach(builds::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list the native cache " + cache, e);
            }
        }
        // A CUDA build is only chosen on request: it needs a GPU driver at load time.
        builds.sort(Comparator.comparing(p -> isCudaBuild(p) != wantCuda));
        for (Path build : builds) {
            Path lib = build.resolve("lib");
            tried.add(lib.resolve(LIBRARY).toString());
            if (Files.isRegularFile(lib.resolve(LIBRARY))) {
                return lib;
            }
        }
        tried.add(cache.resolve(commit.substring(0, 12) + "-*/lib/" + LIBRARY).toString());
        throw notFound(tried, "run native/build.sh to build llama.cpp " + commit);
    }

    static Path cacheRoot() {
        String env = System.getenv("JDPO_NATIVE_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "jdpo", "native");
    }

    /** The llama.cpp commit this jar was built against (native/llama.cpp.pin, packed as a resource). */
    static String pinnedCommit() {
        try (InputStream in = NativeLocator.class.getResourceAsStream("llama.cpp.pin")) {
            if (in == null) {
                throw new IllegalStateException("llama.cpp.pin missing from the jar");
            }
            Properties pin = new Properties();
            pin.load(in);
            return pin.getProperty("COMMIT");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isCudaBuild(Path build) {
        try {
            return Files.readString(build.resolve("BUILD_INFO")).contains("GGML_CUDA=ON");
        } catch (IOException e) {
            return false;
        }
    }

    private static LlamaException notFound(List<String> tried, String hint) {
        return new LlamaException("llama.cpp library not found (" + hint + "). Looked for:\n  "
                + String.join("\n  ", tried));
    }
}
