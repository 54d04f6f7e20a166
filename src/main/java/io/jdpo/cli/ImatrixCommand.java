package io.jdpo.cli;

import io.jdpo.gguf.ImportanceMatrix;
import io.jdpo.llama.ChatTemplate;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;
import io.jdpo.model.ImportanceCollector;
import io.jdpo.model.Transformer;
import io.jdpo.data.PairEncoder;
import io.jdpo.data.PreferenceExample;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Computes an importance matrix from the user's preference data with the Java forward. */
@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"Importance matrix from preference data: per projection, the mean square of each input column over the",
                "prompts and both completions, in llama.cpp's format (GGUF, or legacy .dat when -o ends in .dat);",
                "for jdpo merge --imatrix and llama-quantize --imatrix."},
        footer = {"", "Example:", "  jdpo imatrix model.gguf --data train.jsonl -o imatrix.gguf"})
final class ImatrixCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "GGUF model")
    Path model;
    @Option(names = "--data", required = true, description = "preference data (the training set)")
    Path data;
    @Option(names = {"-o", "--output"}, required = true, description = "importance matrix to write (.gguf, or .dat)")
    Path out;
    @Option(names = "--max-pairs", defaultValue = "1000", description = "pairs used at most (default ${DEFAULT-VALUE})")
    int maxPairs;
    @Option(names = "--template", description = "chat template for conversational data")
    String template;
    @Option(names = "--second-moments", description = "also store each input's full second-moment matrix (n² floats per tensor; GGUF only),"
            + " for merge --rounding compensated")
    boolean secondMoments;

    @Override
    public Integer call() throws Exception {
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(true));
             Transformer tf = Transformer.load(model, common.threads())) {
            PairEncoder enc = new PairEncoder(m.tokenizer(), ChatTemplate.forModel(m, template));
            ImportanceCollector c = new ImportanceCollector(tf, secondMoments);
            int n = 0;
            for (PreferenceExample e : PreferenceReader.read(data, null).examples()) {
                if (n == maxPairs) break;
                PreferencePair p = enc.encode(e);
                c.addPair(p.prompt(), p.chosen(), p.rejected());
                n++;
            }
            ImportanceMatrix im = c.result(data.getFileName().toString());
            im.write(out);
            System.out.printf(Locale.ROOT, "wrote %s: %d tensors, %d pairs, %d tokens%n", out, im.entries().size(), n, c.tokens());
        }
        return 0;
    }
}
