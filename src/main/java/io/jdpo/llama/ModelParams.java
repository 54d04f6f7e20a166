package io.jdpo.llama;

/**
 * How to load a model: layers to offload to the GPU (-1 = all), memory-mapping, and
 * whether to load the vocabulary only (for tokenizing without weights).
 *
 * @param nGpuLayers layers llama.cpp offloads to a GPU: 0 keeps all on the CPU, -1 offloads
 *        all; no effect without a GPU backend ({@link LlamaRuntime#hasGpu()})
 * @param useMmap whether weights are memory-mapped from the file (shared with the page cache)
 *        rather than read into allocated memory
 * @param vocabOnly whether to load only the vocabulary: the model then tokenizes but cannot
 *        back a context
 */
public record ModelParams(int nGpuLayers, boolean useMmap, boolean vocabOnly) {
    /** {@return CPU only, memory-mapped, weights loaded} */
    public static ModelParams defaults() {
        return new ModelParams(0, true, false);
    }

    /**
     * {@return these parameters with {@code nGpuLayers = n}}
     *
     * @param n layers to offload (-1: all)
     */
    public ModelParams withGpuLayers(int n) {
        return new ModelParams(n, useMmap, vocabOnly);
    }

    /**
     * {@return these parameters with {@code useMmap = mmap}}
     *
     * @param mmap whether to memory-map the weights
     */
    public ModelParams withMmap(boolean mmap) {
        return new ModelParams(nGpuLayers, mmap, vocabOnly);
    }

    /**
     * {@return these parameters with {@code vocabOnly = only}}
     *
     * @param only whether to load only the vocabulary
     */
    public ModelParams withVocabOnly(boolean only) {
        return new ModelParams(nGpuLayers, useMmap, only);
    }
}
