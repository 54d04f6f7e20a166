package io.jdpo.cli;

import picocli.CommandLine.Option;

/** Options every command takes: thread count and stack traces on errors. */
final class CommonOptions {
    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)")
    Integer threads;

    @Option(names = "--verbose", description = "stack traces on errors")
    boolean verbose;

    int threads() {
        return threads == null ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
