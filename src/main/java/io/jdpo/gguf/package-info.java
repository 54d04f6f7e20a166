/**
 * GGUF files: a validating reader over a memory mapping, and a writer.
 *
 * <p><b>Lifetimes.</b> {@link io.jdpo.gguf.GgufFile} maps the file until {@code close()}:
 * tensor data ({@code data(...)}) and metadata arrays ({@link io.jdpo.gguf.GgufArray}) are
 * views of that mapping and throw IllegalStateException once it is closed; copy what must
 * outlive it ({@link io.jdpo.gguf.GgufValue#detached()}). {@link io.jdpo.gguf.GgufWriter}
 * copies metadata when it is put and writes a temporary file renamed when whole.
 *
 * <p><b>Threads.</b> An open GgufFile is immutable and may be read from any number of
 * threads; closing it while another thread reads makes that read fail, not crash. A
 * GgufWriter is for one thread.
 *
 * <p>Every malformed file raises {@link io.jdpo.gguf.GgufFormatException} with the file and
 * byte offset; no input makes the reader allocate more than the file holds.
 */
package io.jdpo.gguf;
