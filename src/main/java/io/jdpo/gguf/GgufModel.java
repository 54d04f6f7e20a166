package io.jdpo.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model in one GGUF file or split over {@code NAME-00001-of-0000N.gguf} shards (as
 * llama.cpp's gguf-split writes them), seen as one: the first shard's metadata and the
 * tensors of all shards, each still memory-mapped from its own file. {@link #close()} unmaps
 * every shard; data and array views then throw {@link IllegalStateException}. Immutable while
 * open: any number of threads may read it.
 */
public final class GgufModel implements AutoCloseable {
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    private final List<GgufFile> files;
    private final Map<String, GgufFile> owner;
    private final List<GgufTensorInfo> tensors;

    private GgufModel(List<GgufFile> files) {
        this.files = files;
        Map<String, GgufFile> own = new LinkedHashMap<>();
        List<GgufTensorInfo> all = new ArrayList<>();
        for (GgufFile f : files) {
            for (GgufTensorInfo t : f.tensors()) {
                if (own.putIfAbsent(t.name(), f) != null) {
                    throw new GgufFormatException(f.path(), 0, "tensor '" + t.name() + "' also appears in "
                            + own.get(t.name()).path().getFileName());
                }
                all.add(t);
            }
        }
        this.owner = Collections.unmodifiableMap(own);
        this.tensors = List.copyOf(all);
    }

    /**
     * Opens a file, or every shard of a split model when given any shard's path.
     *
     * @param path a GGUF file, or any shard named {@code NAME-0000i-of-0000N.gguf}
     * @return the model; the caller closes it
     * @throws IOException if a shard is missing or cannot be read
     * @throws GgufFormatException if a shard breaks the format, two shards hold the same tensor,
     *         or {@code split.count} disagrees with the file names
     */
    public static GgufModel open(Path path) throws IOException {
        List<Path> paths = shards(path);
        List<GgufFile> opened = new ArrayList<>();
        try {
            for (Path p : paths) opened.add(GgufFile.open(p));
            GgufValue count = opened.getFirst().get("split.count");
            if (count != null && count.asLong() != paths.size()) {
                throw new GgufFormatException(paths.getFirst(), 0, "split.count says " + count.asLong()
                        + " shards, the file names say " + paths.size());
            }
            return new GgufModel(opened);
        } catch (IOException | RuntimeException e) {
            opened.forEach(GgufFile::close);
            throw e;
        }
    }

    /** The shard paths of a split model in order, or the path alone. */
    static List<Path> shards(Path path) throws IOException {
        Matcher m = SPLIT.matcher(path.getFileName().toString());
        if (!m.matches()) return List.of(path);
        int n = Integer.parseInt(m.group(3));
        List<Path> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            Path shard = path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, n));
            if (!Files.isRegularFile(shard)) {
                throw new IOException("split model " + path.getFileName() + " lacks shard " + shard);
            }
            out.add(shard);
        }
        return out;
    }

    /** {@return the files, in shard order} */
    public List<Path> paths() {
        return files.stream().map(GgufFile::path).toList();
    }

    /** {@return the first shard's metadata, which describes the model} */
    public Map<String, GgufValue> metadata() {
        return files.getFirst().metadata();
    }

    /**
     * {@return the first shard's value, or null when absent}
     *
     * @param key a metadata key
     */
    public GgufValue get(String key) {
        return files.getFirst().get(key);
    }

    /**
     * {@return the first shard's string value}
     *
     * @param key a metadata key
     * @throws GgufFormatException if the key is missing or not a string
     */
    public String getString(String key) {
        return files.getFirst().getString(key);
    }

    /** {@return every shard's tensor infos, shard after shard} */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /**
     * {@return its info (offsets relative to its own shard's data section)}
     *
     * @param name a tensor name
     * @throws IllegalArgumentException if no shard has such a tensor
     */
    public GgufTensorInfo tensor(String name) {
        GgufFile f = owner.get(name);
        if (f == null) throw new IllegalArgumentException("no tensor '" + name + "' in " + paths());
        return f.tensor(name);
    }

    /**
     * {@return its bytes, a slice of its shard's mapping; reading them after {@link #close()}
     * throws IllegalStateException}
     *
     * @param t a tensor info of this model
     * @throws IllegalArgumentException if no shard has a tensor of that name
     */
    public MemorySegment data(GgufTensorInfo t) {
        GgufFile f = owner.get(t.name());
        if (f == null) throw new IllegalArgumentException("no tensor '" + t.name() + "' in " + paths());
        return f.data(t);
    }

    /**
     * {@return the shard it lives in, or null when none has it}
     *
     * @param tensor a tensor name
     */
    public GgufFile fileOf(String tensor) {
        return owner.get(tensor);
    }

    /** Unmaps every shard. */
    @Override
    public void close() {
        files.forEach(GgufFile::close);
    }
}
