/**
 * Progress of long runs: the listener interface trainers and checks report to, and a console
 * printer. <b>Threads.</b> Listeners are called on the thread doing the work;
 * {@link io.jdpo.progress.ConsoleProgress} may be shared by several.
 */
package io.jdpo.progress;
