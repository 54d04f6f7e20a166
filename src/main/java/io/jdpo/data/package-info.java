/**
 * Preference data: formats, the reader (JSONL, JSON, gzip), the pair encoder and its lint,
 * truncation and data order.
 *
 * <p><b>Lifetimes.</b> Everything here is plain immutable Java data; the encoder uses a
 * tokenizer while its model is open. <b>Threads.</b> Readers and records are safe to share;
 * a {@link io.jdpo.data.PairEncoder} counts its fallbacks and is for one thread.
 *
 * <p>Every bad input raises {@link io.jdpo.data.DataException} naming file:line:column.
 */
package io.jdpo.data;
