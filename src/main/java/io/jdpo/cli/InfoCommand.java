package io.jdpo.cli;

import io.jdpo.llama.Device;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LlamaRuntime;
import io.jdpo.llama.ModelParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Shows where llama.cpp was loaded from, its devices, and optionally a model's summary. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show the llama.cpp runtime (library folder, devices) and, given a model, its summary.",
        footer = {"", "Example:", "  jdpo info model.gguf"})
final class InfoCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", description = "GGUF model")
    Path model;

    @Override
    public Integer call() {
        LlamaRuntime rt = LlamaRuntime.get();
        System.out.println("llama.cpp " + LlamaRuntime.llamaCppCommit() + " from " + rt.libraryDir());
        for (Device d : rt.devices()) {
            System.out.printf("device %-8s %-6s %s%n", d.name(), d.kind(), d.description());
        }
        System.out.println(rt.systemInfo());
        if (model != null) {
            try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(false))) {
                System.out.printf("%s: %s, %d parameters, %d bytes, %d layers, embedding %d, context %d, vocabulary %d%n",
                        model, m.description(), m.parameterCount(), m.sizeBytes(), m.layerCount(),
                        m.embeddingLength(), m.trainingContextLength(), m.tokenizer().vocabularySize());
            }
        }
        return 0;
    }
}
