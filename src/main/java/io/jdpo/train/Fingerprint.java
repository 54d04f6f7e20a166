package io.jdpo.train;

import io.jdpo.data.PreferencePair;
import io.jdpo.data.SftSample;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 fingerprints of model files and tokenized data: the keys of caches and provenance. */
public final class Fingerprint {
    private Fingerprint() {
    }

    /**
     * Fingerprints a file's bytes.
     *
     * @param path a file, read whole (a model file: a second for a few GB)
     * @return the SHA-256 of its bytes, lower-case hex
     * @throws IOException if it cannot be read
     */
    public static String file(Path path) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(path)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Every pair's tokens, in order, with their lengths (so different splits never collide).
     *
     * @param pairs tokenized pairs
     * @return the SHA-256 of their tokens, lower-case hex
     */
    public static String pairs(List<PreferencePair> pairs) {
        return parts(pairs.stream().map(p -> new int[][]{p.prompt(), p.chosen(), p.rejected()}).toList());
    }

    /**
     * Every SFT sample's tokens, in order, with their lengths.
     *
     * @param samples the samples
     * @return the SHA-256 (hex)
     */
    public static String samples(List<SftSample> samples) {
        return parts(samples.stream().map(s -> new int[][]{s.prompt(), s.completion()}).toList());
    }

    private static String parts(List<int[][]> examples) {
        MessageDigest md = sha256();
        ByteBuffer b = ByteBuffer.allocate(4);
        for (int[][] e : examples) {
            for (int[] part : e) {
                update(md, b, part.length);
                for (int t : part) update(md, b, t);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Fingerprints a text.
     *
     * @param s any text (a configuration, a template)
     * @return the SHA-256 of its UTF-8 bytes, lower-case hex
     */
    public static String text(String s) {
        return HexFormat.of().formatHex(sha256().digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static void update(MessageDigest md, ByteBuffer b, int v) {
        b.clear();
        md.update(b.putInt(v).array());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
