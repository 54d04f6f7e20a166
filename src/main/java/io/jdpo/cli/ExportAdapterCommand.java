package io.jdpo.cli;

import io.jdpo.adapter.AdapterExporter;
import io.jdpo.adapter.AdapterFile;
import io.jdpo.gguf.GgmlType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes a trained adapter (a run's output or checkpoint) as a llama.cpp LoRA adapter in the chosen type. */
@Command(name = "export-adapter", mixinStandardHelpOptions = true,
        description = "Export a trained adapter (run folder, checkpoint folder or adapter GGUF) as a llama.cpp LoRA adapter.",
        footer = {"", "Example:", "  jdpo export-adapter runs/dpo/checkpoints/step-000200 -o dpo-f16.gguf --type f16"})
final class ExportAdapterCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "run folder, checkpoint folder, or adapter .gguf")
    Path source;
    @Option(names = {"-o", "--output"}, required = true, description = "adapter GGUF to write")
    Path out;
    @Mixin
    OutputFileOption outputFile = new OutputFileOption();
    @Option(names = "--type", defaultValue = "f32", description = "f32, f16, bf16 or q8_0 (default ${DEFAULT-VALUE})")
    String type;

    @Override
    public Integer call() throws Exception {
        Path file = Files.isDirectory(source) ? source.resolve("adapter.gguf") : source;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no adapter at " + file);
        GgmlType t = GgmlType.parse(type);
        AdapterFile a = AdapterFile.read(file);
        outputFile.checkFree("export", out, file);
        AdapterExporter.write(out, a.architecture(), a.alpha(), a.pairs(), a.provenance(), t);
        System.out.printf("wrote %s: %d adapted tensors, %s, alpha %.4g, %d bytes%n", out, a.pairs().size(), t, a.alpha(), Files.size(out));
        return 0;
    }
}
