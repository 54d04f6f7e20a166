package io.jdpo.tensor;

import io.jdpo.gguf.GgmlType;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Activations that several products of a layer read (the normalised rows go to q, k and v, then
 * to gate and up): in the deployed arithmetic each product quantizes its input to 8-bit blocks
 * and lays them out for its kernel, and the products sharing an input now do it once per block
 * format and once per kernel order (a fifth of a Q4_K_M forward's activation work, and most of
 * its garbage, was the same input quantized again). Valid while the values do not change: make
 * one after the input is written and drop it before the input is overwritten. Not thread-safe:
 * it belongs to the thread that runs the products (the products' own threads share what it makes).
 */
public final class SharedInput {
    private final float[] values;
    private final int tokens;
    private int cols = -1;
    private final Map<ActivationQuantizer.Format, GgmlQuantDot.Q8Rows> blocks = new EnumMap<>(ActivationQuantizer.Format.class);
    private final Map<LanesKey, GgmlQuantLanes.Tokens> lanes = new HashMap<>();

    private record LanesKey(GgmlType type, GgmlQuantDot.Order order) {
    }

    /**
     * Shares {@code values}; nothing is made until a product asks.
     *
     * @param values the activations, tokens × the products' input width from index 0
     * @param tokens the number of token rows
     */
    public SharedInput(float[] values, int tokens) {
        this.values = values;
        this.tokens = tokens;
    }

    /** {@return the activations} */
    public float[] values() {
        return values;
    }

    /** {@return the number of token rows} */
    public int tokens() {
        return tokens;
    }

    /** The 8-bit blocks ggml makes of these activations for weights of {@code type}, made on first use. */
    GgmlQuantDot.Q8Rows blocks(GgmlType type, int width, Parallel par) {
        if (cols < 0) cols = width;
        if (width != cols) throw new IllegalArgumentException("products of " + cols + " and " + width + " inputs cannot share one input");
        return blocks.computeIfAbsent(ActivationQuantizer.formatFor(type), f -> GgmlQuantDot.Q8Rows.of(type, values, tokens, cols, par));
    }

    /** Those blocks laid out for the vector kernels of {@code order}, made on first use. */
    GgmlQuantLanes.Tokens lanes(GgmlType type, GgmlQuantDot.Order order, int width, Parallel par) {
        GgmlQuantDot.Q8Rows q = blocks(type, width, par);
        return lanes.computeIfAbsent(new LanesKey(type, order), k -> GgmlQuantLanes.Tokens.of(q, cols, type, order, par));
    }
}
