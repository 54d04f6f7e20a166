package io.jdpo.llama;

/** A compute device ggml found after loading its backends (a CPU, a CUDA GPU, ...). */
public record Device(String name, String description, Kind kind, long memoryFree, long memoryTotal) {
    /** ggml_backend_dev_type. */
    public enum Kind { CPU, GPU, INTEGRATED_GPU, ACCELERATOR, META }

    public boolean isGpu() {
        return kind == Kind.GPU || kind == Kind.INTEGRATED_GPU;
    }
}
