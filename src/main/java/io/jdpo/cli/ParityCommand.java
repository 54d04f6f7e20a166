package io.jdpo.cli;

import io.jdpo.model.DequantizedCopy;
import io.jdpo.tensor.Arithmetic;
import io.jdpo.verify.ParityReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Runs llama.cpp and the Java forward on the same text and prints how far apart their log-probs are. */
@Command(name = "parity", mixinStandardHelpOptions = true,
        description = "Compare the Java forward with llama.cpp on sample text: mean and max |Δ log-prob|, top-1 agreement.",
        footer = {"", "Examples:", "  jdpo parity model.gguf --text my-data.txt", "  jdpo parity model-q4_k_m.gguf --dequantized",
                "", "llama.cpp's CPU path rounds activations to 8 bits for quantized weights",
                "(to F16 for F16 weights); the Java forward does the same in its deployed",
                "arithmetic (the default). --arithmetic float keeps them in float, which differs",
                "from llama.cpp by about 0.01 nats per token on quantized models. --dequantized",
                "shows both, and the float forward against llama.cpp on an F32 copy of the weights."})
final class ParityCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "GGUF model")
    Path model;

    @Option(names = "--text", description = "UTF-8 text file, one sample per line (default: built-in stories)")
    Path text;

    @Option(names = "--window", defaultValue = "128", description = "tokens per scored sequence (default ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--dequantized", description = "also compare with llama.cpp on a copy of the model whose quantized tensors are"
            + " decoded to F32 (a temporary file of 4 bytes per quantized weight, deleted afterwards)")
    boolean dequantized;

    @Option(names = "--arithmetic", defaultValue = "deployed",
            description = "deployed (round activations as llama.cpp's CPU backend does; default) or float")
    String arithmetic;

    @Override
    public Integer call() throws Exception {
        String sample = text == null ? ParityReport.sampleText() : Files.readString(text);
        int t = common.threads();
        if (!dequantized) {
            Arithmetic a = Arithmetic.parse(arithmetic);
            System.out.println(model.getFileName() + ", Java (" + a + " arithmetic) vs llama.cpp: " + ParityReport.measure(model, sample, window, t, a));
            return 0;
        }
        Path copy = Files.createTempFile("jdpo-dequantized-", ".gguf");
        try {
            DequantizedCopy.write(model, copy);
            ParityReport.ThreeWay r = ParityReport.againstCopy(model, copy, sample, window, t);
            System.out.println(model.getFileName() + ", Java (deployed arithmetic) vs llama.cpp: " + r.javaVsLlama());
            System.out.println("Java (float arithmetic) vs llama.cpp:              " + r.floatVsLlama());
            System.out.println("Java (float arithmetic) vs llama.cpp on the F32 copy: " + r.javaVsCopy());
            System.out.println("llama.cpp, F32 copy vs this file:                  " + r.copyVsLlama());
            System.out.println("(the third line checks the Java forward; the second and fourth are llama.cpp rounding its activations)");
        } finally {
            Files.deleteIfExists(copy);
        }
        return 0;
    }
}
