package io.jdpo.llama;

/**
 * A compute device ggml found after loading its backends (a CPU, a CUDA GPU, ...). A snapshot
 * taken when {@link LlamaRuntime} loaded: the memory figures are not refreshed.
 *
 * @param name the backend's short device name, e.g. "CPU" or "CUDA0"
 * @param description the backend's description, e.g. the CPU or GPU model
 * @param kind what sort of device it is
 * @param memoryFree free memory in bytes when the runtime loaded, as the backend reports it
 * @param memoryTotal total memory in bytes, as the backend reports it
 */
public record Device(String name, String description, Kind kind, long memoryFree, long memoryTotal) {
    /** The device type (ggml_backend_dev_type). */
    public enum Kind {
        /** The host CPU, using system memory. */
        CPU,
        /** A discrete GPU with its own memory. */
        GPU,
        /** A GPU sharing host memory. */
        INTEGRATED_GPU,
        /** An accelerator used alongside the CPU (e.g. BLAS); not a GPU. */
        ACCELERATOR,
        /** Any other type ggml reports, such as a meta device over several others. */
        META
    }

    /** {@return true for a discrete or integrated GPU, where {@code nGpuLayers} can offload} */
    public boolean isGpu() {
        return kind == Kind.GPU || kind == Kind.INTEGRATED_GPU;
    }
}
