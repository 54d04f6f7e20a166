/**
 * Training: DPO losses, AdamW, schedules, the trainer, checkpoints, metrics and the
 * reference cache.
 *
 * <p><b>Lifetimes.</b> {@link io.jdpo.train.DpoTrainer#train} opens and closes everything it
 * uses; its results are files in the output folder (adapter, metrics, checkpoints), each
 * written under a temporary name and renamed, so a killed run leaves every output path whole
 * and resumes bit-identically. An output folder holding an earlier run is refused unless
 * resumed or overwritten ({@link io.jdpo.train.RunFolder}).
 *
 * <p><b>Threads.</b> A trainer runs one training at a time on its configured threads; train
 * different runs with different trainers. Listeners are called on the training thread.
 * The JVM needs {@code --add-modules jdk.incubator.vector}; the trainer checks it when
 * constructed.
 */
package io.jdpo.train;
