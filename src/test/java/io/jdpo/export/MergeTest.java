package io.jdpo.export;

import io.jdpo.data.PreferencePair;
import io.jdpo.adapter.AdapterExporter;
import io.jdpo.adapter.AdapterFile;
import io.jdpo.verify.MergeVerifier;

import io.jdpo.gguf.GgmlType;
import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.llama.Batch;
import io.jdpo.llama.ContextParams;
import io.jdpo.llama.FileType;
import io.jdpo.llama.LlamaContext;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.LlamaRuntime;
import io.jdpo.llama.ModelQuantizer;
import io.jdpo.llama.RowQuantizer;
import io.jdpo.model.LoraConfig;
import io.jdpo.model.LoraTarget;
import io.jdpo.model.LoraWeights;
import io.jdpo.model.ModelConfig;
import io.jdpo.model.Transformer;
import io.jdpo.tensor.SegmentMath;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Merging adapters into GGUF bases: llama-export-lora as the peer, llama.cpp loading the results, and every refusal. */
class MergeTest {
    /** An adapter for the model with B drawn at random (as after training), exported as llama.cpp loads it. */
    static Path adapter(Path model, Path out, long seed, int rank) throws IOException {
        return adapter(model, out, seed, rank, 0.05);
    }

    static Path adapter(Path model, Path out, long seed, int rank, double sigma) throws IOException {
        ModelConfig cfg;
        try (Transformer tf = Transformer.load(model, 1)) {
            cfg = tf.config();
        }
        try (LoraWeights w = LoraWeights.init(cfg, new LoraConfig(rank, 2f * rank, false, LoraTarget.all()), seed)) {
            Random rnd = new Random(seed);
            w.layers().values().forEach(m -> m.values().forEach(p -> {
                for (long i = 0; i < (long) p.nOut() * p.rank(); i++) SegmentMath.set(p.b(), i, (float) (sigma * rnd.nextGaussian()));
            }));
            AdapterExporter.write(out, cfg.arch().ggufName(), w.config().exportedAlpha(), w.byTensorName(), Map.of());
        }
        return out;
    }

    static Merger.Result merge(Path base, Path adapter, Path out, GgmlType type) throws IOException {
        return Merger.merge(base, List.of(new Merger.Input(AdapterFile.read(adapter), 1f)), out, type, Map.of(), null);
    }

    /**
     * llama-export-lora keeps an F32 base's type and writes F16 for half and quantized bases,
     * so the peer check runs on stories260K converted to F16 by llama.cpp.
     */
    @Test
    void f16MergeMatchesLlamaExportLoraWithinOneUlp(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("stories260K-f16.gguf");
        ModelQuantizer.quantize(TestData.stories260K(), base, FileType.F16, 2);
        Path lora = adapter(base, dir.resolve("a.gguf"), 3, 4);
        Merger.Result ours = merge(base, lora, dir.resolve("ours.gguf"), GgmlType.F16);
        Path tool = LlamaRuntime.get().tool("llama-export-lora").orElseThrow(() -> new AssertionError("llama-export-lora missing"));
        Process p = new ProcessBuilder(tool.toString(), "-m", base.toString(), "--lora", lora.toString(), "-o", dir.resolve("peer.gguf").toString(), "-t", "2")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "llama-export-lora failed");
        int merged = 0, copied = 0, maxUlp = 0;
        try (GgufFile b = GgufFile.open(base); GgufFile o = GgufFile.open(dir.resolve("ours.gguf")); GgufFile peer = GgufFile.open(dir.resolve("peer.gguf"))) {
            for (GgufTensorInfo t : b.tensors()) {
                GgufTensorInfo ot = o.tensor(t.name()), pt = peer.tensor(t.name());
                if (isAdapted(t.name())) {
                    assertEquals(GgmlType.F16, t.type(), t.name());
                    assertEquals(GgmlType.F16, ot.type(), t.name());
                    assertEquals(GgmlType.F16, pt.type(), "llama-export-lora writes merged tensors as F16: " + t.name());
                    MemorySegment a = o.data(ot), c = peer.data(pt);
                    for (long i = 0; i < t.elementCount(); i++) {
                        int d = Math.abs(ordered(a.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)) - ordered(c.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i)));
                        maxUlp = Math.max(maxUlp, d);
                    }
                    merged++;
                } else {
                    assertEquals(t.type(), ot.type(), t.name());
                    assertEquals(-1, b.data(t).mismatch(o.data(ot)), "untouched tensor copied byte for byte: " + t.name());
                    copied++;
                }
            }
        }
        System.out.printf("merge vs llama-export-lora (F16): %d merged tensors, max difference %d ulp; %d tensors byte-identical to the base%n",
                merged, maxUlp, copied);
        assertEquals(35, merged, "5 layers x 7 targets");
        assertEquals(ours.merged(), merged);
        assertTrue(maxUlp <= 1, "max " + maxUlp + " F16 ulp");
    }

    /** The exported adapter in llama.cpp's own command-line tool: it loads and changes the greedy continuation. */
    @Test
    void llamaCompletionLoadsTheExportedAdapter(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K(), lora = adapter(base, dir.resolve("a.gguf"), 5, 4, 0.5);
        Path tool = LlamaRuntime.get().tool("llama-completion").orElseThrow(() -> new AssertionError("llama-completion missing"));
        String plain = complete(tool, base, null), adapted = complete(tool, base, lora);
        assertTrue(plain.startsWith("Once upon a time") && adapted.startsWith("Once upon a time"), plain + " / " + adapted);
        assertNotEquals(plain, adapted, "the adapter changes what llama-completion generates");
    }

    private static String complete(Path tool, Path model, Path lora) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "-m", model.toString(), "-p", "Once upon a time", "-n", "24",
                "--temp", "0", "-no-cnv", "-t", "2"));
        if (lora != null) cmd.addAll(List.of("--lora", lora.toString()));
        // Once in a full suite on the loaded machine llama-completion exited 0 with nothing on
        // stdout: its stdin is now /dev/null rather than an open pipe, its log is kept for the
        // message, and an empty run is repeated once before the test judges it.
        for (int attempt = 1; ; attempt++) {
            Path log = Files.createTempFile("llama-completion-", ".log");
            try {
                Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectError(log.toFile()).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertTrue(p.waitFor(120, TimeUnit.SECONDS));
                String err = Files.readString(log);
                String tail = err.substring(Math.max(0, err.length() - 2000));
                assertEquals(0, p.exitValue(), "llama-completion failed: " + out + "\n" + tail);
                if (!out.isBlank() || attempt == 2) {
                    assertFalse(out.isBlank(), "llama-completion wrote nothing twice; its log ends:\n" + tail);
                    return out.strip();
                }
            } finally {
                Files.deleteIfExists(log);
            }
        }
    }

    private static boolean isAdapted(String name) {
        for (LoraTarget t : LoraTarget.values()) if (name.endsWith("." + t.tensor() + ".weight")) return true;
        return false;
    }

    /** F16 bits as an integer that orders like the value, so neighbours differ by one. */
    private static int ordered(short h) {
        int bits = h & 0xffff;
        return (bits & 0x8000) != 0 ? -(bits & 0x7fff) : bits;
    }

    @Test
    void mergesIntoOriginalTypesThatLlamaCppLoads(@TempDir Path dir) throws Exception {
        var shape = new TestModelFactory.Shape(256, 2, 4, 2, 512, 256);
        List<Path> bases = List.of(TestData.stories260K(),
                TestModelFactory.quantized(TestData.stories260K(), shape, 5, FileType.Q8_0, dir),
                TestModelFactory.quantized(TestData.stories260K(), shape, 5, FileType.Q4_K_M, dir));
        for (Path base : bases) {
            Path lora = adapter(base, dir.resolve(base.getFileName() + ".lora.gguf"), 9, 8);
            Path out = dir.resolve(base.getFileName() + ".merged.gguf");
            Merger.Result r = merge(base, lora, out, null);
            try (GgufFile b = GgufFile.open(base); GgufFile o = GgufFile.open(out)) {
                for (GgufTensorInfo t : b.tensors()) assertEquals(t.type(), o.tensor(t.name()).type(), "type kept: " + t.name());
                assertEquals(b.metadata().get("general.architecture"), o.metadata().get("general.architecture"));
            }
            List<PreferencePair> pairs = pairs(out, 6);
            MergeVerifier.Report v = MergeVerifier.verify(base, Map.of(lora, 1f), out, pairs, 2);
            System.out.printf("merge into %s: %d tensors merged, worst requantization error / update %.3f; KL %.2e mean / %.2e max over %d tokens; accuracy adapter %.2f, merged %.2f%n",
                    base.getFileName(), r.merged(), r.worstErrorToUpdate(), v.meanKl(), v.maxKl(), v.tokens(), v.accuracyAdapter(), v.accuracyMerged());
            if (base.equals(TestData.stories260K())) assertTrue(v.meanKl() < 1e-6, "an F32 merge is the adapter: KL " + v.meanKl());
            assertTrue(Double.isFinite(v.meanKl()));
        }
    }

    /** A baseline kept across merged files reports exactly what a fresh verification does, logits kept or not. */
    @Test
    void keptBaselineReportsWhatAFreshVerificationDoes(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K(), lora = adapter(base, dir.resolve("a.gguf"), 3, 8);
        Path f32 = dir.resolve("f32.gguf"), q8 = dir.resolve("q8.gguf");
        merge(base, lora, f32, null);
        merge(base, lora, q8, GgmlType.Q8_0);
        List<PreferencePair> pairs = pairs(base, 3);
        Map<Path, Float> adapters = Map.of(lora, 1f);
        MergeVerifier.Baseline kept = MergeVerifier.baseline(base, adapters, pairs, 2);
        MergeVerifier.Baseline recomputing = MergeVerifier.baseline(base, adapters, pairs, 2, 0);
        assertTrue(kept.keepsLogits());
        assertFalse(recomputing.keepsLogits());
        for (Path merged : List.of(f32, q8)) {
            MergeVerifier.Report fresh = MergeVerifier.verify(base, adapters, merged, pairs, 2);
            assertEquals(fresh, kept.verify(merged), merged.getFileName() + ": kept logits");
            assertEquals(fresh, recomputing.verify(merged), merged.getFileName() + ": recomputed logits");
        }
        assertEquals(List.of(MergeVerifier.verify(base, adapters, f32, pairs, 2), MergeVerifier.verify(base, adapters, q8, pairs, 2)),
                MergeVerifier.verify(base, adapters, List.of(f32, q8), pairs, 2));
        assertTrue(kept.verify(q8).meanKl() > kept.verify(f32).meanKl(), "Q8_0 loses more than F32");
    }

    /** --type q8_0 on stories260K: the 172-wide ffn_down rows fall back to F16 as llama-quantize does, instead of stopping. */
    @Test
    void typesFallBackAndKeepUpdateUpgrades(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K(), lora = adapter(base, dir.resolve("a.gguf"), 4, 8);
        Path out = dir.resolve("q8.gguf");
        Merger.Result r = merge(base, lora, out, GgmlType.Q8_0);
        try (GgufFile o = GgufFile.open(out)) {
            assertEquals(GgmlType.F16, o.tensor("blk.0.ffn_down.weight").type(), "172 values per row: F16, as llama-quantize falls back");
            assertEquals(GgmlType.Q8_0, o.tensor("blk.0.ffn_up.weight").type());
        }
        assertEquals(35, r.merged());

        Path q40 = dir.resolve("stories260K-Q4_0.gguf");
        ModelQuantizer.quantize(base, q40, FileType.Q4_0, 2);
        Path lora40 = adapter(q40, dir.resolve("a40.gguf"), 4, 8);
        Merger.Result kept = Merger.merge(q40, List.of(new Merger.Input(AdapterFile.read(lora40), 1f)), dir.resolve("kept.gguf"),
                Merger.Options.defaults().withKeepUpdate(0.9), Map.of(), null);
        Merger.Result own = merge(q40, lora40, dir.resolve("own.gguf"), (GgmlType) null);
        assertEquals(0, own.retyped(), "without --keep-update every tensor keeps its type");
        assertTrue(kept.retyped() > 0, "some Q4_0 tensors cannot carry 90% of a random update");
        for (Merger.TensorReport t : kept.tensors()) {
            assertTrue(t.keptShare() >= 0.9 || t.type() == GgmlType.F16, t.name() + " " + t.type() + " keeps " + t.keptShare());
            if (t.type() != t.baseType()) assertTrue(t.bytes() > t.baseBytes(), t.name() + " grows when upgraded");
        }
        long sizeKept = Files.size(dir.resolve("kept.gguf")), sizeOwn = Files.size(dir.resolve("own.gguf"));
        assertEquals(kept.addedBytes(), sizeKept - sizeOwn, 64.0 * kept.tensors().size(), "the reported cost is the file's growth (up to alignment)");
        try (GgufFile o = GgufFile.open(dir.resolve("kept.gguf"))) {
            for (Merger.TensorReport t : kept.tensors()) assertEquals(t.type(), o.tensor(t.name()).type(), t.name());
        }
        System.out.printf("--keep-update 0.9 on stories260K Q4_0 with a random adapter: %d of %d tensors upgraded, %+d bytes%n",
                kept.retyped(), kept.merged(), kept.addedBytes());
    }

    static List<PreferencePair> pairs(Path model, int n) {
        List<PreferencePair> out = new ArrayList<>();
        try (LlamaModel m = LlamaModel.load(model)) {
            for (int i = 0; i < n; i++) {
                out.add(new PreferencePair(m.tokenizer().tokenize("Once upon a time, a child named Tom" + i + " went out.", true, false),
                        m.tokenizer().tokenize(" He saw a big dog and smiled.", false, false),
                        m.tokenizer().tokenize(" He saw a red box and sat down.", false, false)));
            }
        }
        return out;
    }

    @Test
    void refusesBadInputsWithClearErrors(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K(), lora = adapter(base, dir.resolve("a.gguf"), 1, 2);
        AdapterFile a = AdapterFile.read(lora);

        AdapterFile wrongArch = new AdapterFile(lora, "qwen2", a.alpha(), a.pairs(), a.provenance());
        var e = assertThrows(IllegalArgumentException.class, () -> Merger.merge(base, List.of(new Merger.Input(wrongArch, 1f)),
                dir.resolve("o.gguf"), (GgmlType) null, Map.of(), null));
        assertTrue(e.getMessage().contains("architecture 'qwen2'") && e.getMessage().contains("'llama'"), e.getMessage());

        var generated = TestModelFactory.write(TestData.stories260K(), new TestModelFactory.Shape(32, 1, 4, 2, 64, 64), 2, dir.resolve("g.gguf"));
        AdapterFile otherShape = AdapterFile.read(adapter(generated, dir.resolve("g-lora.gguf"), 1, 2));
        e = assertThrows(IllegalArgumentException.class, () -> Merger.merge(base, List.of(new Merger.Input(otherShape, 1f)),
                dir.resolve("o.gguf"), (GgmlType) null, Map.of(), null));
        assertTrue(e.getMessage().contains("blk.0.attn_q.weight' is 32x32"), e.getMessage());

        Map<String, AdapterFile.Pair> extra = new java.util.LinkedHashMap<>(a.pairs());
        extra.put("blk.9.attn_q.weight", a.pairs().get("blk.0.attn_q.weight"));
        AdapterFile missing = new AdapterFile(lora, "llama", a.alpha(), extra, a.provenance());
        e = assertThrows(IllegalArgumentException.class, () -> Merger.merge(base, List.of(new Merger.Input(missing, 1f)),
                dir.resolve("o.gguf"), (GgmlType) null, Map.of(), null));
        assertTrue(e.getMessage().contains("'blk.9.attn_q.weight', which the base"), e.getMessage());

        // A Q8_0 adapter: its rounding would be merged into the weights.
        GgufWriter w = new GgufWriter().put("general.type", "adapter").put("general.architecture", "llama").put("adapter.type", "lora");
        AdapterFile.Pair p = a.pairs().get("blk.0.attn_q.weight");
        float[] aa = new float[32 * 2], bb = new float[2 * 64];
        w.addTensor("blk.0.attn_q.weight.lora_a", GgmlType.Q8_0, new long[]{32, 2}, MemorySegment.ofArray(RowQuantizer.quantize(GgmlType.Q8_0.id(), aa, 2, 32, null)));
        w.addTensor("blk.0.attn_q.weight.lora_b", new long[]{2, 64}, bb);
        w.write(dir.resolve("q.gguf"));
        e = assertThrows(IllegalArgumentException.class, () -> AdapterFile.read(dir.resolve("q.gguf")));
        assertTrue(e.getMessage().contains("is Q8_0; a merge needs an F32"), e.getMessage());
        assertNotNull(p);

        e = assertThrows(IllegalArgumentException.class, () -> merge(base, lora, lora, null));
        assertTrue(e.getMessage().contains("is an input of the merge"), e.getMessage());

        // A full disk: a 64 KiB tmpfs cannot hold the merged model; the error says so and no file is left.
        Path small = dir.resolve("small");
        Files.createDirectories(small);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small.toString()).redirectErrorStream(true).start();
        boolean mounted = mount.waitFor(10, TimeUnit.SECONDS) && mount.exitValue() == 0;
        assumeTrue(mounted, "mounting a small tmpfs needs root; the full-disk case is not checked here");
        try {
            IOException io = assertThrows(IOException.class, () -> merge(base, lora, small.resolve("m.gguf"), null));
            assertTrue(io.getMessage().contains("No space left on device") && io.getMessage().contains("nothing was left at"), io.getMessage());
            try (var files = Files.list(small)) {
                assertEquals(0, files.count(), "no partial file left behind");
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
