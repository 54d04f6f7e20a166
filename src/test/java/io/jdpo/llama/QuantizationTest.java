package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Whole-file and per-row quantization through ggml. */
class QuantizationTest {

    @Test
    void quantizedModelLoadsAndStillTellsStories(@TempDir Path dir) throws Exception {
        Path q8 = dir.resolve("stories-q8_0.gguf");
        ModelQuantizer.quantize(TestData.stories260K(), q8, FileType.Q8_0, 2);
        assertTrue(Files.size(q8) > 0);
        try (LlamaModel m = LlamaModel.load(q8);
             LlamaContext ctx = LlamaContext.create(m, ContextParams.of(128).withThreads(2))) {
            assertTrue(m.description().contains("Q8_0"), m.description());
            String text = new Generator(ctx).generate("Once upon a time", GenerationOptions.greedy(24)).text();
            assertTrue(text.length() > 20, "generation from the Q8_0 model: " + text);
        }
    }

    @Test
    void quantizingOntoTheInputIsRefused() {
        Path in = TestData.stories260K();
        assertThrows(LlamaException.class, () -> ModelQuantizer.quantize(in, in, FileType.Q8_0, 1));
    }

    /** The worst element error each type may show, as a fraction of the block's largest magnitude. */
    @Test
    void rowRoundTripsStayWithinEachTypesBound() {
        Random rnd = new Random(11);
        int rows = 4, perRow = 512;
        float[] x = new float[rows * perRow];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        // Q8_0: |err| <= d/2 + 127 |d - fp16(d)| with d = amax/127 (d is stored as F16, 11-bit
        // mantissa); Q4_0: a full step amax/8 where the largest value clamps at +7;
        // k-quants: about half a step of their sub-block scale.
        Object[][] cases = {{"q8_0", (0.5 + 127.0 / 2048) / 127}, {"q4_0", 1.0 / 8 + 1e-3}, {"q4_K", 0.12}, {"q5_K", 0.06}, {"q6_K", 0.03}, {"f16", 1e-3}, {"bf16", 4e-3}};
        for (Object[] c : cases) {
            int type = RowQuantizer.typeId((String) c[0]);
            byte[] q = RowQuantizer.quantize(type, x, rows, perRow, null);
            assertEquals(RowQuantizer.rowSize(type, perRow) * rows, q.length);
            float[] back = RowQuantizer.dequantize(type, q, x.length);
            int block = (int) Math.max(32, RowQuantizer.blockSize(type));
            for (int b = 0; b < x.length / block; b++) {
                double amax = 0, err = 0;
                for (int i = b * block; i < (b + 1) * block; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                    err = Math.max(err, Math.abs(x[i] - back[i]));
                }
                assertTrue(err <= (double) c[1] * amax, c[0] + " block " + b + ": error " + err + " for amax " + amax);
            }
        }
    }

    @Test
    void badRowArgumentsAreRefused() {
        int q4k = RowQuantizer.typeId("Q4_K");
        assertThrows(IllegalArgumentException.class, () -> RowQuantizer.quantize(q4k, new float[100], 1, 100, null));
        assertThrows(IllegalArgumentException.class, () -> RowQuantizer.quantize(q4k, new float[256], 2, 256, null));
        assertThrows(IllegalArgumentException.class, () -> RowQuantizer.typeId("q9_9"));
        assertTrue(RowQuantizer.requiresImportanceMatrix(RowQuantizer.typeId("iq2_xxs")));
    }
}
