package io.jdpo.train;

import io.jdpo.data.ChatTemplates;
import io.jdpo.data.PairEncoder;
import io.jdpo.data.PreferencePair;
import io.jdpo.data.PreferenceReader;
import io.jdpo.data.RowFindings;
import io.jdpo.llama.LlamaModel;
import io.jdpo.llama.ModelParams;
import io.jdpo.model.LoraTarget;
import io.jdpo.progress.TrainListener;
import io.jdpo.testing.RealTokenizer;
import io.jdpo.testing.TestData;
import io.jdpo.testing.TestModelFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every shared preference file, whole, through every real tokenizer with the model's own chat
 * template (Llama 3.1, Qwen3, and Gemma 3's vocabulary on a Llama-architecture model) and the
 * random Llama-2 with llama.cpp's llama2 template: no row stops the run, each path's count is
 * printed, and five DPO steps train on the pairs.
 */
class RealDataTrainingTest {
    @TempDir
    static Path models;
    @TempDir
    static Path cache;

    static Stream<Arguments> runs() {
        List<Arguments> out = new ArrayList<>();
        for (String file : List.of("preferences/hh-rlhf-harmless-base-test.jsonl.gz", "preferences/llamafactory-dpo-en-demo.json")) {
            for (RealTokenizer t : RealTokenizer.values()) out.add(Arguments.of(file, t.name()));
            out.add(Arguments.of(file, "LLAMA2_RANDOM"));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("runs")
    void wholeFileEncodesWithoutAbortAndTrainsFiveSteps(String file, String tokenizer, @TempDir Path out) throws Exception {
        Path data = TestData.require(file);
        Path model;
        String template;
        if (tokenizer.equals("LLAMA2_RANDOM")) {
            model = TestData.tinyRandomLlama2();
            template = "llama2";
        } else {
            RealTokenizer t = RealTokenizer.valueOf(tokenizer);
            // Each real vocabulary on its own architecture (Llama 3.1: llama, Qwen3: qwen3, Gemma 3: gemma3); Llama-2 on llama.
            TestModelFactory.Arch arch = t == RealTokenizer.QWEN3 ? TestModelFactory.Arch.QWEN3
                    : t == RealTokenizer.GEMMA3 ? TestModelFactory.Arch.GEMMA3 : TestModelFactory.Arch.LLAMA;
            model = TestModelFactory.cached(t, new TestModelFactory.Shape(32, 1, 2, 2, 64, 512, arch, true), 3, models);
            template = null; // the model's own Jinja template
        }
        PreferenceReader.Data d;
        List<PreferencePair> pairs;
        String templateName;
        try (LlamaModel m = LlamaModel.load(model, ModelParams.defaults().withVocabOnly(true))) {
            var renderer = ChatTemplates.forModel(m, template);
            templateName = renderer == null ? "none" : renderer.name();
            PairEncoder enc = new PairEncoder(m.tokenizer(), renderer);
            d = PreferenceReader.read(data, null, new RowFindings(false));
            pairs = enc.encodeAll(d.examples(), d.findings());
        }
        RowFindings f = d.findings();
        System.out.printf("%s on %s (%s): %d rows read, %d pairs; %s%n", data.getFileName(), tokenizer, templateName,
                d.counts().get("read"), pairs.size(), f.summary());
        assertEquals(d.counts().get("read"), pairs.size() + f.skipped(), "every row is a pair or a counted skip");
        assertTrue(pairs.size() > d.counts().get("read") * 9 / 10, "nearly every row trains: " + f.summary());

        TrainConfig cfg = TrainConfig.defaults().toBuilder().rank(4).alpha(8).learningRate(1e-3).batchSize(2).threads(2)
                .targets(LoraTarget.all()).maxSteps(5).maxLength(160).maxPromptLength(96).seed(5).build();
        TrainResult r = new DpoTrainer(cfg).cacheDir(cache).train(model, pairs.subList(0, 10), List.of(), out, null, TrainListener.SILENT);
        assertEquals(5, r.steps());
        assertTrue(Double.isFinite(r.lastTrain().loss()), String.valueOf(r.lastTrain()));
    }
}
