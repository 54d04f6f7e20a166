package io.jdpo.llama;

import io.jdpo.bindings.LlamaH;
import io.jdpo.bindings.ggml_log_callback;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Routes llama.cpp's and ggml's log lines to {@link System.Logger} "io.jdpo.llama.native"
 * (ERROR, WARNING, DEBUG, TRACE for ggml's error, warn, info, debug). Quiet by default: unless
 * logging is configured for that name, only errors show; set its level (e.g.
 * {@code io.jdpo.llama.native.level = FINE} in logging.properties) to see more. The upcall
 * never throws: an exception escaping into native code would abort the JVM.
 */
final class NativeLog {
    static final String NAME = "io.jdpo.llama.native";
    static final Logger LOGGER = System.getLogger(NAME);
    /** Held so the default level set in {@link #install()} is not lost to garbage collection. */
    private static java.util.logging.Logger julDefault;

    // ggml_log_level values (ggml.h): NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5.
    private static final int CONT = 5;
    private static final ThreadLocal<Pending> PENDING = ThreadLocal.withInitial(Pending::new);
    /** The last warnings and errors llama.cpp logged on each thread, for the message of a failed call. */
    private static final ThreadLocal<java.util.ArrayDeque<String>> PROBLEMS = ThreadLocal.withInitial(java.util.ArrayDeque::new);
    private static final int KEPT_PROBLEMS = 6;

    private NativeLog() {
    }

    /** Installs the callback for both llama.cpp and ggml; the upcall stub lives forever. */
    static void install() {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(NAME);
        if (jul.getLevel() == null && java.util.logging.LogManager.getLogManager().getProperty(NAME + ".level") == null) {
            jul.setLevel(java.util.logging.Level.SEVERE);
            julDefault = jul;
        }
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
                    if (pending.level == 3 || pending.level == 4) {
                        java.util.ArrayDeque<String> kept = PROBLEMS.get();
                        if (kept.size() == KEPT_PROBLEMS) kept.removeFirst();
                        kept.addLast(line.strip());
                    }
                    LOGGER.log(toJava(pending.level), line);
                }
            }
        } catch (Throwable ignored) {
            // Nothing may leave an upcall; a lost log line is the lesser harm.
        }
    }

    /** Forgets this thread's logged problems: call before the native call whose failure is to be explained. */
    static void clearProblems() {
        PROBLEMS.get().clear();
    }

    /**
     * The warnings and errors llama.cpp logged on this thread since {@link #clearProblems()},
     * joined for an exception message ("" when none): its own reason for a refusal, which it
     * prints but does not return.
     */
    static String problems() {
        java.util.ArrayDeque<String> kept = PROBLEMS.get();
        return kept.isEmpty() ? "" : String.join("; ", kept);
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
