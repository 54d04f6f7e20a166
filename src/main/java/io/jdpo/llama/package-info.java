/**
 * The llama.cpp binding: runtime, models, contexts, batches, tokenizer, chat templates,
 * samplers, generation, log-prob scoring, LoRA adapters and quantization.
 *
 * <p><b>Lifetimes.</b> {@link io.jdpo.llama.LlamaModel}, {@link io.jdpo.llama.LlamaContext},
 * {@link io.jdpo.llama.LoraAdapter}, {@link io.jdpo.llama.Sampler} and
 * {@link io.jdpo.llama.Batch} own native memory and are {@code AutoCloseable}: close them
 * (try-with-resources). A context, adapter or sampler lives inside its model's memory, so
 * closing the model closes them first; closing an adapter detaches it from every context.
 * {@link io.jdpo.llama.Tokenizer} is a view of its model and fails once the model is closed.
 * After close every method fails with IllegalStateException; none hands a freed pointer to
 * native code.
 *
 * <p><b>Threads.</b> A model, its tokenizer and its adapters may be used from several threads
 * at once (llama.cpp only reads them). A context is not thread-safe in llama.cpp, so its
 * methods are serialised: a second thread waits. Several contexts of one model run in
 * parallel. {@code close()} may be called from any thread: it waits for the native calls in
 * flight on that object (and, for a model, on its contexts) to return, and calls that start
 * afterwards fail with IllegalStateException. Batches, samplers, generators and scorers are
 * for one thread at a time. {@link io.jdpo.llama.LlamaRuntime} is process-wide and safe.
 *
 * <p>Errors llama.cpp reports (or that Java catches before a call llama.cpp would answer with
 * an abort) are {@link io.jdpo.llama.LlamaException}; a refused file's message carries
 * llama.cpp's own logged reason.
 */
package io.jdpo.llama;
