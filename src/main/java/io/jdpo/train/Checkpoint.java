package io.jdpo.train;

import io.jdpo.adapter.AdapterExporter;
import io.jdpo.model.LoraWeights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A resumable training state in one directory: {@code adapter.gguf} (loadable by llama.cpp
 * as it is), {@code state.bin} (adapter, both AdamW moments and the step, as raw floats) and
 * {@code trainer.json} (what the run was: config, model and data fingerprints). The data
 * order and every random choice derive from the seed and the step, so the step is the whole
 * position. The directory is assembled under a temporary name and renamed, so a crash never
 * leaves a half-written checkpoint under the final name.
 */
public final class Checkpoint {
    private static final long MAGIC = 0x4a44504f434b5031L; // "JDPOCKP1"
    private static final int HEADER = 8 + 4 + 4 + 8;

    /**
     * What identifies the run a checkpoint belongs to: a resume is refused when any differs.
     *
     * @param config fingerprint of the settings that change the result (not cadences or --force)
     * @param model  SHA-256 of the base model file
     * @param data   fingerprint of the tokenized training pairs
     */
    public record Identity(String config, String model, String data) {
    }

    private Checkpoint() {
    }

    /**
     * Writes a checkpoint atomically: assembled under {@code .NAME.partial} and renamed; an
     * older checkpoint of the same name is replaced only once the new one is complete.
     *
     * @param dir          the checkpoint folder (usually {@link #folder(Path, int)})
     * @param step         optimizer steps taken
     * @param lora         the adapter now
     * @param opt          its optimizer (moments and step count are saved)
     * @param id           the run's identity, checked by {@link #load}
     * @param architecture the model's GGUF architecture name, for the adapter file
     * @param provenance   extra {@code jdpo.*} metadata written into the adapter file
     * @return {@code dir}
     * @throws IOException if a file cannot be written (nothing is left under {@code dir} then)
     */
    public static Path save(Path dir, int step, LoraWeights lora, AdamW opt, Identity id, String architecture,
                            Map<String, String> provenance) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + dir.getFileName() + ".partial");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        AdapterExporter.write(tmp.resolve("adapter.gguf"), architecture, lora.config().exportedAlpha(), lora.byTensorName(), provenance);
        try (FileChannel ch = FileChannel.open(tmp.resolve("state.bin"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            h.putLong(MAGIC).putInt(step).putInt(opt.steps()).putLong(lora.parameterCount()).flip();
            ch.write(h);
            for (MemorySegment w : new MemorySegment[]{lora.slab(), opt.firstMoment(0), opt.secondMoment(0)}) {
                ByteBuffer b = w.asByteBuffer();
                while (b.hasRemaining()) ch.write(b);
            }
            ch.force(true);
        }
        String json = "{\n  \"step\": " + step + ",\n  \"config\": \"" + id.config() + "\",\n  \"model\": \"" + id.model()
                + "\",\n  \"data\": \"" + id.data() + "\"\n}\n";
        Files.writeString(tmp.resolve("trainer.json"), json);
        // An older checkpoint under the same name is set aside, not deleted, until the new one is in place.
        Path old = parent.resolve("." + dir.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(dir)) Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
        return dir;
    }

    /**
     * The newest complete checkpoint of a run's output folder ({@code checkpoints/step-N}
     * with the highest N holding all its files), as {@code resume_from_checkpoint=True} picks
     * one in peers; empty when there is none.
     *
     * @param outDir a run's output folder
     * @return the checkpoint folder, or empty
     * @throws IOException if the folder cannot be listed
     */
    public static Optional<Path> latest(Path outDir) throws IOException {
        Path dir = outDir.resolve("checkpoints");
        if (!Files.isDirectory(dir)) return Optional.empty();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> STEP_DIR.matcher(p.getFileName().toString()).matches())
                    .filter(p -> Files.isRegularFile(p.resolve("trainer.json")) && Files.isRegularFile(p.resolve("state.bin"))
                            && Files.isRegularFile(p.resolve("adapter.gguf")))
                    .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(5))));
        }
    }

    /**
     * The folder a checkpoint of {@code step} goes to.
     *
     * @param outDir a run's output folder
     * @param step   optimizer steps taken
     * @return the folder a checkpoint of {@code step} goes to ({@code checkpoints/step-000042})
     */
    public static Path folder(Path outDir, int step) {
        return outDir.resolve("checkpoints").resolve(String.format("step-%06d", step));
    }

    private static final Pattern STEP_DIR = Pattern.compile("step-\\d{6,}");

    /**
     * Restores adapter and optimizer from a checkpoint of the same run.
     *
     * @param dir      the checkpoint folder
     * @param lora     the adapter to overwrite (same configuration as the saved one)
     * @param opt      the optimizer to overwrite
     * @param expected the identity of the run resuming
     * @return the step the checkpoint was taken at
     * @throws IOException if it is not a checkpoint, belongs to another run (the message says
     *                     which of settings, model or data differs) or has the wrong size
     */
    public static int load(Path dir, LoraWeights lora, AdamW opt, Identity expected) throws IOException {
        Path json = dir.resolve("trainer.json"), state = dir.resolve("state.bin");
        if (!Files.isRegularFile(json) || !Files.isRegularFile(state)) {
            throw new IOException("not a jdpo checkpoint (no trainer.json/state.bin): " + dir);
        }
        String text = Files.readString(json);
        check(text, "config", expected.config(), dir, "a setting that changes the result differs (seed, threads, limits, optimizer...)");
        check(text, "model", expected.model(), dir, "the base model file differs");
        check(text, "data", expected.data(), dir, "the training data differs");
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(state, StandardOpenOption.READ)) {
            long expectedSize = HEADER + 3 * lora.slab().byteSize();
            if (ch.size() != expectedSize) {
                throw new IOException(state + ": " + ch.size() + " bytes, a checkpoint of this adapter has " + expectedSize);
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            ByteBuffer h = all.asSlice(0, HEADER).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            if (h.getLong() != MAGIC) throw new IOException(state + ": bad magic at byte 0");
            int step = h.getInt(), optSteps = h.getInt();
            if (h.getLong() != lora.parameterCount()) throw new IOException(state + ": parameter count differs at byte 16");
            long off = HEADER, n = lora.slab().byteSize();
            for (MemorySegment w : new MemorySegment[]{lora.slab(), opt.firstMoment(0), opt.secondMoment(0)}) {
                w.copyFrom(all.asSlice(off, n));
                off += n;
            }
            opt.restore(optSteps);
            return step;
        }
    }

    private static void check(String json, String key, String expected, Path dir, String why) throws IOException {
        if (!json.contains("\"" + key + "\": \"" + expected + "\"")) {
            throw new IOException("cannot resume from " + dir + ": " + why + " (" + key + " fingerprint mismatch)");
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
