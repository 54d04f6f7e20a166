package io.jdpo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jdpo.gguf.GgufModel;
import io.jdpo.gguf.GgufSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Prints a GGUF file's header, metadata, tensor table and totals, read by jdpo's own reader. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a GGUF file: header, metadata (long arrays summarised), tensors, totals by type.",
        footer = {"", "Examples:", "  jdpo inspect model.gguf", "  jdpo inspect model-00001-of-00003.gguf --json | jq .parameters"})
final class InspectCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common = new CommonOptions();
    @Parameters(index = "0", description = "GGUF file (any shard of a split model)")
    Path file;

    @Option(names = "--json", description = "machine-readable output")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        GgufSummary s;
        try (GgufModel m = GgufModel.open(file)) {
            s = GgufSummary.of(m);
        }
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(s));
            return 0;
        }
        out.printf(Locale.ROOT, "%s%nGGUF v%d, alignment %d, data at byte %d, %d metadata keys, %d tensors%n%n",
                String.join(", ", s.files()), s.version(), s.alignment(), s.dataOffset(), s.metadata().size(), s.tensors().size());
        for (Map.Entry<String, Object> e : s.metadata().entrySet()) {
            out.printf(Locale.ROOT, "  %-40s %s%n", e.getKey(), e.getValue());
        }
        out.printf(Locale.ROOT, "%n  %-36s %-7s %-22s %12s %12s%n", "tensor", "type", "shape", "bytes", "offset");
        for (GgufSummary.Tensor t : s.tensors()) {
            out.printf(Locale.ROOT, "  %-36s %-7s %-22s %12d %12d%n", t.name(), t.type(), Arrays.toString(t.shape()), t.bytes(), t.offset());
        }
        out.printf(Locale.ROOT, "%n  %-8s %8s %16s %14s%n", "type", "tensors", "parameters", "bytes");
        s.totalsByType().forEach((type, t) ->
                out.printf(Locale.ROOT, "  %-8s %8d %16d %14d%n", type, t.tensors(), t.parameters(), t.bytes()));
        out.printf(Locale.ROOT, "%n%,d parameters in %,d bytes of tensor data%n", s.parameters(), s.tensorBytes());
        return 0;
    }
}
