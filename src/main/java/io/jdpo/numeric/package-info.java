/**
 * Floating-point functions whose bits do not depend on the machine's vector width, on which
 * lanes compute them, or on what the JIT has compiled yet: an exponential made of IEEE steps
 * ({@link io.jdpo.numeric.DoubleExp}) and lane sums in a fixed order
 * ({@link io.jdpo.numeric.LaneSum}). Training and reference scoring sum their log-softmax rows
 * with them, so a run, and a run resumed from its checkpoint, computes the same numbers.
 */
package io.jdpo.numeric;
