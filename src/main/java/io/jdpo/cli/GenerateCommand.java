package io.jdpo.cli;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.GenerationOptions;
import io.jdpo.llama.GenerationResult;
import io.jdpo.llama.Generator;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LoraAdapter;
import io.jdpo.llama.ModelParams;
import io.jdpo.llama.SamplerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Generates text with llama.cpp, optionally with LoRA adapters swapped in without reloading the model. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt with llama.cpp.",
        footer = {"", "Example:", "  jdpo generate model.gguf -p \"Once upon a time\" -n 64 --lora dpo.gguf:1.0 --lora none"})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "GGUF model")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "prompt text")
    String prompt;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "64", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0", description = "temperature; 0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--seed", defaultValue = "42", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--lora", description = "adapter FILE[:SCALE]; repeat to generate once per adapter ('none' = base model)")
    List<String> loras = new ArrayList<>();

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ngl", defaultValue = "0", description = "layers to offload to the GPU (-1 = all)")
    int gpuLayers;

    @Override
    public Integer call() {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SamplerConfig sampler = temperature <= 0 ? SamplerConfig.greedy() : SamplerConfig.sampling(temperature, seed);
        GenerationOptions options = GenerationOptions.greedy(maxTokens).withSampler(sampler).withStopStrings(stops);
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withGpuLayers(gpuLayers));
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(Math.min(2048, m.trainingContextLength())).withThreads(common.threads()))) {
            Generator gen = new Generator(ctx);
            List<String> runs = loras.isEmpty() ? List.of("none") : loras;
            for (String spec : runs) {
                ctx.detachAll();
                LoraAdapter adapter = null;
                if (!spec.equals("none")) {
                    AdapterSpec a = AdapterSpec.parse(spec);
                    adapter = LoraAdapter.load(m, a.path());
                    ctx.attach(adapter, a.scale());
                }
                if (runs.size() > 1) out.println("== " + spec);
                out.print(prompt);
                GenerationResult r = gen.generate(prompt, options, out::print);
                out.println();
                if (runs.size() > 1) out.println("[" + r.tokens().length + " tokens, " + r.stopReason() + "]");
                if (adapter != null) adapter.close();
            }
        }
        return 0;
    }
}
