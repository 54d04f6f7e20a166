package io.jdpo.model;

import io.jdpo.testing.LlamaTap;
import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

class GgmlOrderProbeTest {
    @Test
    void probe() throws Exception {
        Path model = Path.of(System.getProperty("probe.model", TestData.stories260K().toString()));
        int n = Integer.getInteger("probe.n", 40);
        int[] tokens = new int[n];
        tokens[0] = 1;
        for (int i = 1; i < n; i++) tokens[i] = 20 + (i * 37) % 400;
        Map<String, List<LlamaTap.Tensor>> ll = LlamaTap.run(model, tokens, 2);
        for (var e : ll.entrySet()) System.out.println("tap " + e.getKey() + " x" + e.getValue().size() + " " + java.util.Arrays.toString(e.getValue().get(0).ne()));
        try (Transformer tr = Transformer.load(model, 2)) {
            ForwardPass fp = tr.forward(tokens, 1, false);
            float[] logits = tr.logits(tokens, 1);
            int L = tr.config().layers();
            for (int l = 0; l < L; l++) {
                LayerActivations a = fp.layers[l];
                cmp("attn_norm-" + l, ll, a.h1);
                cmp("Qcur-" + l, ll, a.q);
                cmp("Kcur-" + l, ll, a.k);
                cmp("Vcur-" + l, ll, a.v);
                cmp("kqv_out-" + l, ll, a.att);
                cmp("ffn_inp-" + l, ll, a.xMid);
                cmp("ffn_norm-" + l, ll, a.h2);
                cmp("ffn_gate-" + l, ll, a.g);
                cmp("ffn_up-" + l, ll, a.u);
                cmp("ffn_swiglu-" + l, ll, a.act);
                cmp("ffn_geglu-" + l, ll, a.act);
                if (l + 1 < L) cmp("l_out-" + l, ll, fp.layerInputs == null ? null : null);
            }
            attention(ll, tr.config(), n);
            var wf = Transformer.class.getDeclaredField("weights");
            wf.setAccessible(true);
            ModelWeights mw = (ModelWeights) wf.get(tr);
            float[] sw = ll.get("ffn_swiglu-0").get(0).values();
            float[] y = new float[n * tr.config().dim()];
            mw.layers.get(0).down().matmul(sw, n, y, io.jdpo.tensor.Parallel.SERIAL);
            report("ffn_out-0 (down of llama swiglu)", ll.get("ffn_out-0").get(0).values(), y);
            float[] y2 = new float[n * tr.config().dim()];
            float[] wrow = new float[172];
            for (int t = 0; t < n; t++) for (int r = 0; r < 64; r++) {
                mw.layers.get(0).down().decodeRow(r, wrow, 0);
                float acc = 0;
                for (int i = 0; i < 172; i++) acc = Math.fma(wrow[i], sw[t * 172 + i], acc);
                y2[t * 64 + r] = acc;
            }
            report("ffn_out-0 (plain fma chain)", ll.get("ffn_out-0").get(0).values(), y2);
            float[] ref = ll.get("ffn_out-0").get(0).values();
            {
                float[] yl = new float[n * 64];
                for (int t = 0; t < n; t++) for (int r = 0; r < 64; r++) {
                    mw.layers.get(0).down().decodeRow(r, wrow, 0);
                    java.nio.ByteBuffer wb = java.nio.ByteBuffer.allocate(172 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    java.nio.ByteBuffer xb = java.nio.ByteBuffer.allocate(172 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < 172; i++) { wb.putFloat(wrow[i]); xb.putFloat(sw[t * 172 + i]); }
                    yl[t * 64 + r] = io.jdpo.testing.GgmlCpu.vecDot("f32", 172, wb.array(), xb.array());
                }
                report("ffn_out-0 via libggml vec_dot_f32", ref, yl);
                float[] mine = new float[n * 64];
                for (int t = 0; t < n; t++) for (int r = 0; r < 64; r++) { mw.layers.get(0).down().decodeRow(r, wrow, 0); mine[t * 64 + r] = io.jdpo.tensor.GgmlOrder.vecDot(wrow, 0, sw, t * 172, 172); }
                report("GgmlOrder.vecDot vs libggml vec_dot_f32", yl, mine);
            }
            for (int variant = 0; variant < 6; variant++) {
                float[] yv = new float[n * 64];
                for (int t = 0; t < n; t++) for (int r = 0; r < 64; r++) {
                    mw.layers.get(0).down().decodeRow(r, wrow, 0);
                    yv[t * 64 + r] = variantDot(variant, wrow, sw, t * 172, 172);
                }
                report("ffn_out-0 variant " + variant, ref, yv);
            }
            List<LlamaTap.Tensor> out = ll.get("result_output");
            float[] mine = logits;
            float[] theirs = out.get(0).values();
            int vocab = (int) out.get(0).ne()[0];
            float[] t2 = java.util.Arrays.copyOfRange(theirs, vocab, theirs.length);
            report("result_output(from 1)", t2, mine);
        }
    }

    private static void attention(Map<String, List<LlamaTap.Tensor>> ll, ModelConfig cfg, int T) {
        float[] q = ll.get("Qcur-0").get(2).values(), k = ll.get("Kcur-0").get(2).values(), v = ll.get("Vcur-0").get(0).values();
        float[] kq = ll.get("kq-0").get(0).values(), sm = ll.get("kq_soft_max-0").get(0).values(), kqv = ll.get("kqv-0").get(0).values();
        int heads = cfg.heads(), hd = cfg.headDim(), group = heads / cfg.kvHeads(), qd = cfg.qDim(), kvd = cfg.kvDim(), cells = 256;
        float[] myKq = new float[kq.length], mySm = new float[sm.length], myKqv = new float[kqv.length];
        float scale = cfg.attentionScale();
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            for (int t = 0; t < T; t++) {
                for (int c = 0; c < cells; c++) myKq[(h * T + t) * cells + c] = c <= t ? io.jdpo.tensor.GgmlOrder.vecDot(k, c * kvd + g * hd, q, t * qd + h * hd, hd) : kq[(h * T + t) * cells + c];
            }
        }
        report("kq-0 (from llama q,k)", kq, myKq);
        for (int h = 0; h < heads; h++) {
            for (int t = 0; t < T; t++) {
                int o = (h * T + t) * cells;
                float max = Float.NEGATIVE_INFINITY;
                float[] w = new float[cells];
                for (int c = 0; c < cells; c++) { w[c] = c <= t ? kq[o + c] * scale : Float.NEGATIVE_INFINITY; max = Math.max(max, w[c]); }
                double sum = 0;
                float[] ch = new float[16];
                for (int c0 = 0; c0 < cells; c0 += 16) {
                    for (int e = 0; e < 16; e++) { float x = w[c0 + e]; ch[e] = x == Float.NEGATIVE_INFINITY ? 0 : io.jdpo.tensor.GgmlOrder.expf(x - max); mySm[o + c0 + e] = ch[e]; }
                    sum += io.jdpo.tensor.GgmlOrder.halvingSum(ch, 0, 16);
                }
                float inv = (float) (1.0 / sum);
                for (int c = 0; c < cells; c++) mySm[o + c] *= inv;
            }
        }
        report("kq_soft_max-0 (from llama kq)", sm, mySm);
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            for (int t = 0; t < T; t++) {
                for (int d = 0; d < hd; d++) {
                    float[] acc = new float[16];
                    for (int c = 0; c <= t; c++) acc[c % 16] = Math.fma(v[c * kvd + g * hd + d], sm[(h * T + t) * cells + c], acc[c % 16]);
                    myKqv[(h * T + t) * hd + d] = io.jdpo.tensor.GgmlOrder.halvingSum(acc, 0, 16);
                }
            }
        }
        report("kqv-0 (from llama softmax)", kqv, myKqv);
    }

    static float variantDot(int variant, float[] x, float[] y, int yo, int n) {
        int lanes = 16, step = 64, np = n - n % step;
        float[] acc = new float[64];
        for (int i = 0; i < np; i += step)
            for (int j = 0; j < 4; j++)
                for (int e = 0; e < 16; e++) acc[j * 16 + e] = Math.fma(x[i + j * 16 + e], y[yo + i + j * 16 + e], acc[j * 16 + e]);
        for (int e = 0; e < 16; e++) { acc[e] += acc[32 + e]; acc[16 + e] += acc[48 + e]; }
        for (int e = 0; e < 16; e++) acc[e] += acc[16 + e];
        float sum;
        if (variant % 2 == 0) sum = io.jdpo.tensor.GgmlOrder.halvingSum(acc, 0, 16);
        else { float s2 = 0; for (int e = 0; e < 16; e++) s2 += acc[e]; sum = s2; }
        if (variant / 2 == 0) for (int i = np; i < n; i++) sum += x[i] * y[yo + i];
        else if (variant / 2 == 1) for (int i = np; i < n; i++) sum = Math.fma(x[i], y[yo + i], sum);
        else { double d = sum; for (int i = np; i < n; i++) d += x[i] * y[yo + i]; sum = (float) d; }
        return sum;
    }

    private static void cmp(String name, Map<String, List<LlamaTap.Tensor>> ll, float[] mine) {
        List<LlamaTap.Tensor> ts = ll.get(name);
        if (ts == null || mine == null) return;
        for (LlamaTap.Tensor t : ts) report(name + java.util.Arrays.toString(t.ne()), t.values(), mine);
    }

    private static void report(String name, float[] a, float[] b) {
        int n = Math.min(a.length, b.length), diff = 0, first = -1;
        double max = 0;
        for (int i = 0; i < n; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                diff++;
                if (first < 0) first = i;
                max = Math.max(max, Math.abs(a[i] - b[i]));
            }
        }
        System.out.printf("cmp %-34s n=%d/%d differ=%d max=%.3g first=%d%s%n", name, a.length, b.length, diff, max, first,
                first >= 0 ? " (" + a[first] + " vs " + b[first] + ")" : "");
    }
}
