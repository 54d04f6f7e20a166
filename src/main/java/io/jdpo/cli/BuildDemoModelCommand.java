package io.jdpo.cli;

import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;
import io.jdpo.demo.LlamaInit;
import io.jdpo.demo.SpmVocabulary;
import io.jdpo.demo.FullParameterModel;
import io.jdpo.progress.ConsoleProgress;
import io.jdpo.demo.DemoCorpus;
import io.jdpo.demo.DemoPreferences;
import io.jdpo.demo.Pretrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Builds the bundled demo model from nothing: a generated story corpus, a vocabulary made
 * from it, a fresh Llama, and full-parameter pretraining in Java; and writes the demo
 * preference set beside it. Reproducible from the seed
 * (with the same thread count); run by models/build-demo-model.sh.
 */
@Command(name = "build-demo-model", mixinStandardHelpOptions = true, hidden = true,
        description = "Pretrain the small demo model from a generated corpus (models/build-demo-model.sh runs this).",
        footer = {"", "Example:", "  jdpo build-demo-model -o models/demo.gguf"})
final class BuildDemoModelCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Option(names = {"-o", "--output"}, required = true, description = "GGUF to write")
    Path out;
    @Option(names = "--stories", defaultValue = "20000", description = "generated stories (default ${DEFAULT-VALUE})")
    int stories;
    @Option(names = "--steps", defaultValue = "1200", description = "optimizer steps (default ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--dim", defaultValue = "128", description = "model width (default ${DEFAULT-VALUE})")
    int dim;
    @Option(names = "--layers", defaultValue = "4", description = "blocks (default ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--seed", defaultValue = "1", description = "seed of corpus, weights and batches (default ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--prefs-only", description = "only write the demo preference set (demo-prefs.jsonl beside the model)")
    boolean prefsOnly;

    @Override
    public Integer call() throws Exception {
        Path prefs = out.resolveSibling("demo-prefs.jsonl");
        Files.writeString(prefs, DemoPreferences.jsonl(DemoPreferences.generate(DemoPreferences.PAIRS, DemoPreferences.SEED)));
        System.out.println("wrote " + prefs);
        if (prefsOnly) return 0;
        List<String> corpus = DemoCorpus.stories(stories, seed);
        SpmVocabulary vocab = SpmVocabulary.build(corpus);
        Path init = out.resolveSibling(out.getFileName() + ".init.partial");
        LlamaInit.write(init, new LlamaInit.Shape(dim, layers, 4, 4, 3 * dim, 256), vocab, "jdpo-demo", seed);
        List<Integer> ids = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(init, ModelParams.defaults().withVocabOnly(true))) {
            for (String s : corpus) {
                for (int t : m.tokenizer().tokenize(s, true, false)) ids.add(t);
                ids.add(m.tokenizer().eos());
            }
        }
        int[] tokens = ids.stream().mapToInt(Integer::intValue).toArray();
        System.out.printf("corpus: %d stories, %d tokens, vocabulary of %d%n", stories, tokens.length, vocab.size());
        try (FullParameterModel fm = FullParameterModel.load(init, common.threads())) {
            Pretrainer.train(fm, tokens, new Pretrainer.Config(128, 8, steps, 3e-3, 0.05, 0.01, seed),
                    new ConsoleProgress(System.out, false));
            fm.save(out);
        } finally {
            Files.deleteIfExists(init);
        }
        System.out.printf("wrote %s (%d bytes)%n", out, Files.size(out));
        return 0;
    }
}
