package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The process-wide llama.cpp runtime: loads the shared libraries once, then every ggml
 * backend in their folder (the CPU variant for this processor, CUDA when built), and
 * initialises llama.cpp. Every wrapper in this package calls {@link #get()} first. Loaded
 * libraries stay for the life of the process; the runtime is immutable and thread-safe.
 */
public final class LlamaRuntime {
    private static volatile LlamaRuntime instance;

    private final Path libraryDir;
    private final List<Device> devices;

    private LlamaRuntime(Path libraryDir) {
        this.libraryDir = libraryDir;
        this.devices = listDevices();
    }

    /**
     * Loads llama.cpp on first use; later calls return the same runtime. The library folder is
     * the system property {@code jdpo.native.dir}, else the environment variable
     * {@code JDPO_NATIVE_DIR}, else native/build.sh's cache for the pinned commit.
     *
     * @return the runtime
     * @throws LlamaException if no folder holds the libraries (the message lists where it
     *         looked), a library does not load, or no ggml backend loads; a failed load is
     *         retried by the next call
     */
    public static LlamaRuntime get() {
        LlamaRuntime r = instance;
        if (r == null) {
            synchronized (LlamaRuntime.class) {
                r = instance;
                if (r == null) {
                    r = load(NativeLocator.locate());
                    instance = r;
                }
            }
        }
        return r;
    }

    private static LlamaRuntime load(Path dir) {
        // Dependencies first: System.load does not search the folder for them by itself.
        for (String name : List.of("libggml-base.so", "libggml.so", "libllama.so")) {
            Path lib = dir.resolve(name);
            if (!Files.isRegularFile(lib)) {
                throw new LlamaException("llama.cpp library folder " + dir + " lacks " + name);
            }
            try {
                System.load(lib.toString());
            } catch (UnsatisfiedLinkError e) {
                throw new LlamaException("cannot load " + lib + ": " + e.getMessage(), e);
            }
        }
        NativeLog.install();
        if (LlamaH.ggml_backend_dev_count() == 0) {
            // A GGML_BACKEND_DL build links no backend in: load the CPU variants and CUDA from the folder.
            try (Arena arena = Arena.ofConfined()) {
                LlamaH.ggml_backend_load_all_from_path(arena.allocateFrom(dir.toString()));
            }
        }
        if (LlamaH.ggml_backend_dev_count() == 0) {
            throw new LlamaException("no ggml backend could be loaded from " + dir
                    + " (is libggml-cpu*.so there, and built for this CPU?)");
        }
        LlamaH.llama_backend_init();
        return new LlamaRuntime(dir);
    }

    private static List<Device> listDevices() {
        List<Device> out = new ArrayList<>();
        long n = LlamaH.ggml_backend_dev_count();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            for (long i = 0; i < n; i++) {
                MemorySegment dev = LlamaH.ggml_backend_dev_get(i);
                LlamaH.ggml_backend_dev_memory(dev, free, total);
                out.add(new Device(Native.string(LlamaH.ggml_backend_dev_name(dev)),
                        Native.string(LlamaH.ggml_backend_dev_description(dev)),
                        kind(LlamaH.ggml_backend_dev_type(dev)),
                        free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)));
            }
        }
        return List.copyOf(out);
    }

    private static Device.Kind kind(int type) {
        if (type == LlamaH.GGML_BACKEND_DEVICE_TYPE_CPU()) return Device.Kind.CPU;
        if (type == LlamaH.GGML_BACKEND_DEVICE_TYPE_GPU()) return Device.Kind.GPU;
        if (type == LlamaH.GGML_BACKEND_DEVICE_TYPE_IGPU()) return Device.Kind.INTEGRATED_GPU;
        if (type == LlamaH.GGML_BACKEND_DEVICE_TYPE_ACCEL()) return Device.Kind.ACCELERATOR;
        return Device.Kind.META;
    }

    /** {@return the folder the libraries were loaded from} */
    public Path libraryDir() {
        return libraryDir;
    }

    /** {@return the devices ggml's backends expose, CPU included (immutable)} */
    public List<Device> devices() {
        return devices;
    }

    /** {@return true when a GPU backend is loaded, so {@code nGpuLayers} has an effect} */
    public boolean hasGpu() {
        return devices.stream().anyMatch(Device::isGpu);
    }

    /** {@return llama.cpp's own summary of the CPU features and backends in use} */
    public String systemInfo() {
        return Native.string(LlamaH.llama_print_system_info());
    }

    /**
     * A llama.cpp tool built beside the libraries (native/build.sh puts them in ../bin), such
     * as llama-quantize or llama-export-lora, for checks against llama.cpp's own programs.
     *
     * @param name the executable's file name
     * @return its path, or empty when no executable of that name is there
     */
    public Optional<Path> tool(String name) {
        Path p = libraryDir.resolveSibling("bin").resolve(name);
        return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    /**
     * {@return the llama.cpp commit jdpo is pinned to (native/llama.cpp.pin), whether or not the runtime is loaded}
     */
    public static String llamaCppCommit() {
        return NativeLocator.pinnedCommit();
    }
}
