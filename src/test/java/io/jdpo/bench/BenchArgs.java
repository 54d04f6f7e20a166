package io.jdpo.bench;

import io.jdpo.llama.FileType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments the llama.cpp-side benchmarks share (scripts/bench/forward.sh, scoring.sh,
 * sampling.sh): workdir tokenizerGguf threads tokens reps types...
 *
 * @param work where generated and quantized models are kept (created)
 * @param tokenizer a GGUF whose tokenizer the generated models take
 * @param threads threads on both sides
 * @param tokens tokens per measured run (prompt or new tokens, per benchmark)
 * @param reps repetitions; each side reports its best
 * @param types the file types measured
 */
record BenchArgs(Path work, Path tokenizer, int threads, int tokens, int reps, List<FileType> types) {
    static BenchArgs parse(String[] args) throws IOException {
        List<FileType> types = new ArrayList<>();
        for (int a = 5; a < args.length; a++) types.add(FileType.parse(args[a]));
        BenchArgs b = new BenchArgs(Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                Integer.parseInt(args[4]), List.copyOf(types));
        Files.createDirectories(b.work);
        return b;
    }
}
