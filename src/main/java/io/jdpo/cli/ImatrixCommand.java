package io.jdpo.cli;

import io.jdpo.gguf.ImportanceMatrix;
import io.jdpo.model.ImportanceCollector;
import io.jdpo.model.Transformer;
import io.jdpo.data.PairLoader;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
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
    @Mixin
    OutputFileOption outputFile = new OutputFileOption();
    @Option(names = "--max-pairs", defaultValue = "1000", description = "pairs used at most (default ${DEFAULT-VALUE})")
    int maxPairs;
    @Option(names = "--template", description = "chat template for conversational data")
    String template;
    @Option(names = "--second-moments", description = "also store each input's full second-moment matrix (n² floats per tensor; GGUF only),"
            + " for merge --rounding compensated")
    boolean secondMoments;

    @Override
    public Integer call() throws Exception {
        outputFile.checkFree("importance matrix", out, model, data);
        List<PreferencePair> pairs;
        try (PairLoader loader = PairLoader.open(model, template)) {
            pairs = loader.encode(PreferenceReader.read(data, null), maxPairs);
        }
        try (Transformer tf = Transformer.load(model, common.threads())) {
            ImportanceCollector c = new ImportanceCollector(tf, secondMoments);
            for (PreferencePair p : pairs) c.addPair(p.prompt(), p.chosen(), p.rejected());
            ImportanceMatrix im = c.result(data.getFileName().toString());
            im.write(out);
            System.out.printf(Locale.ROOT, "wrote %s: %d tensors, %d pairs, %d tokens%n", out, im.entries().size(), pairs.size(), c.tokens());
        }
        return 0;
    }
}
