/**
 * Merging adapters into the base model, with requantization.
 *
 * <p><b>Lifetimes.</b> The merge reads its inputs while it runs and writes the output whole
 * (temporary file, then rename). <b>Threads.</b> {@link io.jdpo.export.Merger#merge} is a
 * static call holding no shared state; separate merges may run on separate threads.
 */
package io.jdpo.export;
