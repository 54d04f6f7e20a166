package io.jdpo.testing;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.llama_context_params;
import io.jdpo.llama.LlamaRuntime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's intermediate tensors: runs one sequence through a fresh context with an eval
 * callback and copies every F32 tensor the graph computes, by name ("attn_norm-0", "kq-0",
 * ...; a name computed twice keeps both, in order). The peer the Java forward's steps are
 * compared with one by one when a whole-model difference must be traced to its first step.
 */
public final class LlamaTap {
    /** One captured tensor: its values in logical order (ne0 fastest) and its four sizes. */
    public record Tensor(float[] values, long[] ne) {
    }

    private static final ThreadLocal<Map<String, List<Tensor>>> SINK = new ThreadLocal<>();

    private LlamaTap() {
    }

    /** Every F32 tensor llama.cpp computes for {@code tokens} (F32 K/V cache, flash attention off). */
    public static Map<String, List<Tensor>> run(Path model, int[] tokens, int threads) {
        LlamaRuntime.get();
        Map<String, List<Tensor>> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = LlamaH.llama_model_default_params(arena);
            MemorySegment m = LlamaH.llama_model_load_from_file(arena.allocateFrom(model.toString()), mp);
            if (m.equals(MemorySegment.NULL)) throw new IllegalStateException("cannot load " + model);
            try {
                MemorySegment p = LlamaH.llama_context_default_params(arena);
                int ctx = Math.max(256, (tokens.length + 255) / 256 * 256);
                llama_context_params.n_ctx(p, ctx);
                llama_context_params.n_batch(p, ctx);
                llama_context_params.n_ubatch(p, ctx);
                llama_context_params.n_threads(p, threads);
                llama_context_params.n_threads_batch(p, threads);
                llama_context_params.flash_attn_type(p, LlamaH.LLAMA_FLASH_ATTN_TYPE_DISABLED());
                llama_context_params.type_k(p, LlamaH.GGML_TYPE_F32());
                llama_context_params.type_v(p, LlamaH.GGML_TYPE_F32());
                var cb = MethodHandles.lookup().findStatic(LlamaTap.class, "observe",
                        MethodType.methodType(boolean.class, MemorySegment.class, boolean.class, MemorySegment.class));
                MemorySegment stub = Linker.nativeLinker().upcallStub(cb, FunctionDescriptor.of(ValueLayout.JAVA_BOOLEAN,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_BOOLEAN, ValueLayout.ADDRESS), arena);
                llama_context_params.cb_eval(p, stub);
                MemorySegment c = LlamaH.llama_init_from_model(m, p);
                if (c.equals(MemorySegment.NULL)) throw new IllegalStateException("no context");
                try {
                    SINK.set(out);
                    MemorySegment toks = arena.allocateFrom(ValueLayout.JAVA_INT, tokens);
                    int rc = LlamaH.llama_decode(c, LlamaH.llama_batch_get_one(arena, toks, tokens.length));
                    if (rc != 0) throw new IllegalStateException("decode returned " + rc);
                } finally {
                    SINK.remove();
                    LlamaH.llama_free(c);
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            } finally {
                LlamaH.llama_model_free(m);
            }
        }
        return out;
    }

    // struct ggml_tensor (ggml.h at the pinned commit): type @0, ne[4] @16, nb[4] @48, data @248, name[64] @256.
    private static boolean observe(MemorySegment t, boolean ask, MemorySegment user) {
        if (ask) return true;
        MemorySegment s = t.reinterpret(336);
        if (s.get(ValueLayout.JAVA_INT, 0) != 0) return true; // F32 only
        long[] ne = new long[4], nb = new long[4];
        for (int i = 0; i < 4; i++) {
            ne[i] = s.get(ValueLayout.JAVA_LONG, 16 + 8L * i);
            nb[i] = s.get(ValueLayout.JAVA_LONG, 48 + 8L * i);
        }
        MemorySegment data = s.get(ValueLayout.ADDRESS, 248);
        String name = s.asSlice(256, 64).getString(0);
        long span = 4;
        for (int i = 0; i < 4; i++) span += (ne[i] - 1) * nb[i];
        MemorySegment d = data.reinterpret(span);
        float[] v = new float[(int) (ne[0] * ne[1] * ne[2] * ne[3])];
        int o = 0;
        for (long i3 = 0; i3 < ne[3]; i3++)
            for (long i2 = 0; i2 < ne[2]; i2++)
                for (long i1 = 0; i1 < ne[1]; i1++)
                    for (long i0 = 0; i0 < ne[0]; i0++)
                        v[o++] = d.get(ValueLayout.JAVA_FLOAT, i0 * nb[0] + i1 * nb[1] + i2 * nb[2] + i3 * nb[3]);
        SINK.get().computeIfAbsent(name, k -> new ArrayList<>()).add(new Tensor(v, ne));
        return true;
    }
}
