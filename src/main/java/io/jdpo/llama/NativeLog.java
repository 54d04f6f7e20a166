package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.ggml_log_callback;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Routes llama.cpp's and ggml's log lines to {@link System.Logger} "io.jdpo.llama.native".
 * Quiet by default: llama.cpp's INFO chatter goes to DEBUG, so only its warnings and
 * errors show unless the logger is turned up. The upcall never throws: an exception
 * escaping into native code would abort the JVM.
 */
final class NativeLog {
    static final Logger LOGGER = System.getLogger("io.jdpo.llama.native");

    // ggml_log_level values (ggml.h): NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5.
    private static final int CONT = 5;
    private static final ThreadLocal<Pending> PENDING = ThreadLocal.withInitial(Pending::new);

    private NativeLog() {
    }

    /** Installs the callback for both llama.cpp and ggml; the upcall stub lives forever. */
    static void install() {
        MemorySegment stub = ggml_log_callback.allocate(NativeLog::onLog, Arena.global());
        LlamaH.ggml_log_set(stub, MemorySegment.NULL);
        LlamaH.llama_log_set(stub, MemorySegment.NULL);
    }

    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String chunk = text.reinterpret(Integer.MAX_VALUE).getString(0);
            Pending pending = PENDING.get();
            if (level != CONT) {
                pending.level = level;
            }
            pending.text.append(chunk);
            // llama.cpp writes some lines in pieces (progress dots): emit whole lines only.
            int newline;
            while ((newline = pending.text.indexOf("\n")) >= 0) {
                String line = pending.text.substring(0, newline);
                pending.text.delete(0, newline + 1);
                if (!line.isBlank()) {
                    LOGGER.log(toJava(pending.level), line);
                }
            }
        } catch (Throwable ignored) {
            // Nothing may leave an upcall; a lost log line is the lesser harm.
        }
    }

    static Level toJava(int ggmlLevel) {
        return switch (ggmlLevel) {
            case 4 -> Level.ERROR;
            case 3 -> Level.WARNING;
            case 2 -> Level.DEBUG;
            default -> Level.TRACE;
        };
    }

    private static final class Pending {
        int level = 2;
        final StringBuilder text = new StringBuilder();
    }
}
