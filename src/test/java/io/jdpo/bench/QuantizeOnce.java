package io.jdpo.bench;

import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import java.nio.file.Path;

/** Quantizes a model with llama.cpp through the binding: args in out type. */
public final class QuantizeOnce {
    public static void main(String[] a) {
        ModelQuantizer.quantize(Path.of(a[0]), Path.of(a[1]), FileType.parse(a[2]), 2);
    }
}
