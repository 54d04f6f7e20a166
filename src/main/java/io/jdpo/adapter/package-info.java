/**
 * LoRA adapter files in llama.cpp's GGUF layout: writing and reading.
 *
 * <p><b>Lifetimes.</b> Files are written whole (temporary file, then rename) with the
 * process's usual permissions. <b>Threads.</b> Stateless; safe from any thread.
 */
package io.jdpo.adapter;
