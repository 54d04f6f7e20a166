/**
 * Self-contained HTML pages (the training report). <b>Threads.</b> Stateless; the page is
 * written whole (temporary file, then rename).
 */
package io.jdpo.report;
