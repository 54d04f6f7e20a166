package io.jdpo.cli;

import io.jdpo.JdpoException;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rule of every command that writes one file: a file already at the output path is the
 * user's and stays, unless {@code --overwrite} says to replace it (the train command's rule for
 * its folder). The check runs before any work, so a refused command costs nothing.
 */
final class OutputFileOption {
    @Option(names = "--overwrite", description = "replace a file already at the output path")
    boolean overwrite;

    /**
     * Refuses an output path that holds a file (unless --overwrite) or that is one of the inputs
     * (never allowed: the input would be read while it is replaced).
     */
    void checkFree(String command, Path out, Path... inputs) throws java.io.IOException {
        for (Path in : inputs) {
            if (Files.exists(out) && Files.exists(in) && Files.isSameFile(out, in)) {
                throw new JdpoException("the output " + out + " is an input of the " + command + "; choose another path");
            }
        }
        if (!overwrite && Files.exists(out)) {
            throw new JdpoException(out + ": file already exists; --overwrite replaces it, or choose another path");
        }
    }
}
