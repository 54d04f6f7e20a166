/**
 * Checks against llama.cpp: parity of the Java forward, reward accuracy and margins, KL,
 * merge verification, and rewards (regex, command, judge).
 *
 * <p><b>Lifetimes.</b> Each check opens and closes the models it needs. <b>Threads.</b>
 * Each check is a call that opens what it needs;
 * run separate checks on separate threads. A reward object is for one thread at a time.
 */
package io.jdpo.verify;
