package io.jdpo.llama;

import io.jdpo.testing.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;

/** Library location, logging and the runtime's devices. */
class RuntimeTest {

    @Test
    void aWrongLibraryFolderListsEveryPathTried(@TempDir Path dir) {
        String old = System.getProperty(NativeLocator.PROPERTY);
        try {
            System.setProperty(NativeLocator.PROPERTY, dir.resolve("nowhere").toString());
            LlamaException e = assertThrows(LlamaException.class, NativeLocator::locate);
            assertTrue(e.getMessage().contains(dir.resolve("nowhere/libllama.so").toString()), e.getMessage());
            assertTrue(e.getMessage().contains(dir.resolve("nowhere/lib/libllama.so").toString()), e.getMessage());
        } finally {
            if (old == null) System.clearProperty(NativeLocator.PROPERTY); else System.setProperty(NativeLocator.PROPERTY, old);
        }
    }

    @Test
    void llamaCppLogLinesReachSystemLoggerAndAThrowingHandlerCannotHurt(@TempDir Path dir) throws Exception {
        LlamaRuntime.get(); // installs the default (quiet) level first
        Logger jul = Logger.getLogger("io.jdpo.llama.native");
        assertEquals(Level.SEVERE, jul.getLevel(), "quiet by default: errors only");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override public void publish(LogRecord r) { records.add(r); }
            @Override public void flush() { }
            @Override public void close() { }
        };
        Handler throwing = new Handler() {
            @Override public void publish(LogRecord r) { throw new IllegalStateException("handler failure"); }
            @Override public void flush() { }
            @Override public void close() { }
        };
        Level oldLevel = jul.getLevel();
        jul.setLevel(Level.ALL);
        jul.addHandler(capture);
        jul.addHandler(throwing);
        try {
            try (LlamaModel m = LlamaModel.load(TestData.stories260K())) {
                assertEquals(512, m.tokenizer().vocabularySize());
            }
            assertTrue(records.stream().anyMatch(r -> r.getLevel().intValue() < Level.INFO.intValue()
                    && r.getMessage().contains("llama_model_loader")), "llama.cpp's INFO lines arrive at DEBUG");
            Path cut = dir.resolve("cut.gguf");
            byte[] all = Files.readAllBytes(TestData.stories260K());
            Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
            assertThrows(LlamaException.class, () -> LlamaModel.load(cut));
            assertTrue(records.stream().anyMatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue()),
                    "a failed load logs at WARNING or above");
        } finally {
            jul.removeHandler(capture);
            jul.removeHandler(throwing);
            jul.setLevel(oldLevel);
        }
    }

    @Test
    void runtimeReportsItsBackendsAndTools() {
        LlamaRuntime rt = LlamaRuntime.get();
        assertTrue(rt.devices().stream().anyMatch(d -> d.kind() == Device.Kind.CPU), rt.devices().toString());
        assertTrue(rt.systemInfo().contains("CPU"), rt.systemInfo());
        assertEquals(40, LlamaRuntime.llamaCppCommit().length());
        for (String tool : List.of("llama-quantize", "llama-export-lora", "llama-perplexity", "llama-bench", "llama-completion", "llama-simple")) {
            assertTrue(rt.tool(tool).isPresent(), tool + " beside " + rt.libraryDir());
        }
    }
}
