/**
 * The Java transformer: configuration from GGUF metadata, forward and backward with LoRA on
 * quantized, memory-mapped weights.
 *
 * <p><b>Lifetimes.</b> {@link io.jdpo.model.Transformer} maps its GGUF file until
 * {@code close()}; {@link io.jdpo.model.LoraWeights} own off-heap memory until closed.
 * <b>Threads.</b> A Transformer runs each call on its own worker threads and is used by one
 * caller thread at a time.
 */
package io.jdpo.model;
