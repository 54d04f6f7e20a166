/**
 * Off-heap tensors, quantized block formats and the SIMD kernels (Vector API), each with a
 * scalar reference.
 *
 * <p><b>Lifetimes.</b> Matrices are views of memory owned elsewhere (a GGUF mapping, an
 * arena); they are valid while that owner is open. <b>Threads.</b> Kernels are stateless
 * and may run on many threads; {@link io.jdpo.tensor.Parallel} splits work into fixed ranges
 * so results do not depend on timing. Scratch buffers are per thread.
 */
package io.jdpo.tensor;
