package io.jdpo.llama;

import io.jdpo.gguf.GgufFile;
import io.jdpo.gguf.GgufTensorInfo;
import io.jdpo.gguf.GgufValue;
import io.jdpo.gguf.GgufWriter;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Attaching, detaching and hot-swapping GGUF LoRA adapters written by jdpo's own GGUF writer. */
class LoraAdapterTest {
    private static final int RANK = 4;

    /** An adapter on attn_q and ffn_up of every layer; B all {@code bValue}-scaled noise (0 = none). */
    static Path writeAdapter(Path base, Path out, float bScale, long seed) throws Exception {
        Random rnd = new Random(seed);
        GgufWriter w = new GgufWriter();
        try (GgufFile g = GgufFile.open(base)) {
            w.put("general.type", "adapter");
            w.put("general.architecture", g.getString("general.architecture"));
            w.put("adapter.type", "lora");
            w.put("adapter.lora.alpha", GgufValue.f32(RANK));
            for (GgufTensorInfo t : g.tensors()) {
                String n = t.name();
                if (!(n.endsWith("attn_q.weight") || n.endsWith("ffn_up.weight"))) continue;
                long nIn = t.ne()[0], nOut = t.ne()[1];
                float[] a = new float[(int) (nIn * RANK)];
                for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextGaussian() / Math.sqrt(nIn));
                float[] b = new float[(int) (RANK * nOut)];
                for (int i = 0; i < b.length; i++) b[i] = (float) (bScale * rnd.nextGaussian());
                w.addTensor(n + ".lora_a", new long[]{nIn, RANK}, a);
                w.addTensor(n + ".lora_b", new long[]{RANK, nOut}, b);
            }
        }
        w.write(out);
        return out;
    }

    private static float[] lastLogits(LlamaContext ctx, int[] tokens) {
        ctx.clearMemory();
        try (Batch b = new Batch(tokens.length, 1)) {
            for (int i = 0; i < tokens.length; i++) b.add(tokens[i], i, i == tokens.length - 1, 0);
            ctx.decode(b);
            return ctx.logits(tokens.length - 1);
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void zeroBLeavesLogitsNonZeroChangesThemDetachRestores(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K();
        Path zero = writeAdapter(base, dir.resolve("zero.gguf"), 0f, 1);
        Path live = writeAdapter(base, dir.resolve("live.gguf"), 0.5f, 2);
        try (LlamaModel model = LlamaModel.load(base);
             LlamaContext ctx = LlamaContext.create(model, ContextParams.of(128).withThreads(2));
             LoraAdapter zeroA = LoraAdapter.load(model, zero);
             LoraAdapter liveA = LoraAdapter.load(model, live)) {
            assertEquals("lora", zeroA.metadata("adapter.type").orElseThrow());
            int[] tokens = model.tokenizer().tokenize("Once upon a time, there was a little girl", true, false);
            float[] plain = lastLogits(ctx, tokens);

            ctx.attach(zeroA, 1.0f);
            assertEquals(0.0, maxDiff(plain, lastLogits(ctx, tokens)), 1e-6, "B = 0 must not change the logits");

            ctx.detach(zeroA);
            ctx.attach(liveA, 1.0f);
            float[] adapted = lastLogits(ctx, tokens);
            assertTrue(maxDiff(plain, adapted) > 1e-2, "a non-zero B must change the logits");
            ctx.attach(liveA, 0.5f);
            float[] halfScale = lastLogits(ctx, tokens);
            assertTrue(maxDiff(adapted, halfScale) > 1e-3, "the scale must matter");

            ctx.detachAll();
            assertArrayEquals(plain, lastLogits(ctx, tokens), "detaching restores the base logits exactly");
            ctx.attach(liveA, 1.0f);
            assertArrayEquals(adapted, lastLogits(ctx, tokens), "re-attaching (hot swap) gives the same logits");
        }
    }

    @Test
    void closingAnAttachedAdapterDetachesIt(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K();
        Path live = writeAdapter(base, dir.resolve("live.gguf"), 0.5f, 3);
        try (LlamaModel model = LlamaModel.load(base);
             LlamaContext ctx = LlamaContext.create(model, ContextParams.of(64).withThreads(2))) {
            int[] tokens = model.tokenizer().tokenize("Once upon a time", true, false);
            float[] plain = lastLogits(ctx, tokens);
            LoraAdapter a = LoraAdapter.load(model, live);
            ctx.attach(a, 1f);
            a.close();
            assertTrue(ctx.adapters().isEmpty());
            assertArrayEquals(plain, lastLogits(ctx, tokens));
            assertThrows(IllegalStateException.class, () -> ctx.attach(a, 1f));
        }
    }

    @Test
    void adapterForAnotherShapeIsRefused(@TempDir Path dir) throws Exception {
        Path wrongBase = TestData.tinyRandomLlama2();
        Path adapter = writeAdapter(wrongBase, dir.resolve("other.gguf"), 0.5f, 4);
        try (LlamaModel model = LlamaModel.load(TestData.stories260K())) {
            LlamaException e = assertThrows(LlamaException.class, () -> LoraAdapter.load(model, adapter));
            assertTrue(e.getMessage().contains("other.gguf"), e.getMessage());
        }
    }

    @Test
    void anAdapterSetLlamaCppRefusesLeavesTheEarlierSetAttached(@TempDir Path dir) throws Exception {
        Path base = TestData.stories260K();
        Path first = writeAdapter(base, dir.resolve("first.gguf"), 0.5f, 5);
        Path second = writeAdapter(base, dir.resolve("second.gguf"), 0.5f, 6);
        try (LlamaModel model = LlamaModel.load(base);
             LlamaContext ctx = LlamaContext.create(model, ContextParams.of(64).withThreads(2));
             LoraAdapter a = LoraAdapter.load(model, first);
             LoraAdapter b = LoraAdapter.load(model, second)) {
            int[] tokens = model.tokenizer().tokenize("Once upon a time", true, false);
            ctx.attach(a, 1f);
            float[] withA = lastLogits(ctx, tokens);
            // This llama.cpp always accepts; stand in for a version that refuses (non-zero return).
            ctx.adapterSetterForTest((c, ptrs, n, scales) -> -1);
            LlamaException e = assertThrows(LlamaException.class, () -> ctx.attach(b, 1f));
            assertTrue(e.getMessage().contains("second.gguf"), e.getMessage());
            assertEquals(java.util.Map.of(a, 1f), ctx.adapters(), "the refused adapter must not be recorded");
            assertThrows(LlamaException.class, () -> ctx.attach(a, 0.5f));
            assertEquals(java.util.Map.of(a, 1f), ctx.adapters(), "a refused scale change keeps the old scale");
            assertArrayEquals(withA, lastLogits(ctx, tokens));
            ctx.adapterSetterForTest(null);
            ctx.attach(b, 1f);
            assertEquals(2, ctx.adapters().size());
        }
    }
}
