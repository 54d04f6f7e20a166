/**
 * The bundled demo: its corpus, preference generator and the pretraining of the demo model.
 * <b>Threads.</b> One demo build at a time; files are written whole.
 */
package io.jdpo.demo;
