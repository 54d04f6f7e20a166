package io.jdpo.cli;

import io.jdpo.llama.LlamaRuntime;
import picocli.CommandLine;

/** Prints jdpo's version and the llama.cpp commit it is pinned to. */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Jdpo.class.getPackage().getImplementationVersion();
        return new String[]{"jdpo " + (v == null ? "dev" : v), "llama.cpp " + LlamaRuntime.llamaCppCommit()};
    }
}
