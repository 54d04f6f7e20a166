package io.jdpo.cli;

import io.jdpo.llama.FileType;
import io.jdpo.llama.ModelQuantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Quantizes a whole GGUF model with llama.cpp's own quantizer, in-process. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantize a GGUF model with llama.cpp's quantizer (written to a temporary file, then renamed).",
        footer = {"", "Example:", "  jdpo quantize model-f16.gguf model-q4_k_m.gguf Q4_K_M",
                "", "Types: F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K IQ4_NL IQ4_XS ..."})
final class QuantizeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "input GGUF")
    Path input;

    @Parameters(index = "1", description = "output GGUF")
    Path output;
    @Mixin
    OutputFileOption outputFile = new OutputFileOption();

    @Parameters(index = "2", description = "target type, e.g. Q4_K_M")
    String type;

    @Override
    public Integer call() throws Exception {
        FileType t = FileType.parse(type);
        outputFile.checkFree("quantization", output, input);
        long start = System.nanoTime();
        ModelQuantizer.quantize(input, output, t, common.threads());
        System.out.printf(Locale.ROOT, "%s -> %s (%s): %.1f MiB -> %.1f MiB in %.1f s%n", input, output, t,
                Files.size(input) / 1048576.0, Files.size(output) / 1048576.0, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
