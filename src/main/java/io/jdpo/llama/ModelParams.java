package io.jdpo.llama;

/**
 * How to load a model: layers to offload to the GPU (-1 = all), memory-mapping, and
 * whether to load the vocabulary only (for tokenizing without weights).
 */
public record ModelParams(int nGpuLayers, boolean useMmap, boolean vocabOnly) {
    public static ModelParams defaults() {
        return new ModelParams(0, true, false);
    }

    public ModelParams withGpuLayers(int n) {
        return new ModelParams(n, useMmap, vocabOnly);
    }

    public ModelParams withMmap(boolean mmap) {
        return new ModelParams(nGpuLayers, mmap, vocabOnly);
    }

    public ModelParams withVocabOnly(boolean only) {
        return new ModelParams(nGpuLayers, useMmap, only);
    }
}
