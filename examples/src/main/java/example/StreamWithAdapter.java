package example;

import io.jdpo.llama.ContextParams;
import io.jdpo.llama.GenerationOptions;
import io.jdpo.llama.Generator;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LoraAdapter;

import java.nio.file.Path;

/**
 * Streams a sampled generation, then the same with a LoRA adapter attached to the running
 * context and detached again: java ... example.StreamWithAdapter MODEL.gguf ADAPTER.gguf
 */
public final class StreamWithAdapter {
    public static void main(String[] args) {
        GenerationOptions sampled = GenerationOptions.sampling(48, 0.8f, 42);
        try (LlamaModel model = LlamaModel.load(Path.of(args[0]));
             LlamaContext ctx = LlamaContext.create(model, ContextParams.of(512))) {
            Generator generator = new Generator(ctx);
            System.out.print("base:    ");
            generator.generate("Once upon a time", sampled, System.out::print);
            try (LoraAdapter adapter = LoraAdapter.load(model, Path.of(args[1]))) {
                ctx.attach(adapter, 1.0f);   // takes effect from the next decode, no reload
                System.out.print("\nadapter: ");
                generator.generate("Once upon a time", sampled, System.out::print);
                ctx.detach(adapter);
            }
            System.out.println();
        }
    }
}
