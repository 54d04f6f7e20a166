package io.jdpo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jdpo command line: parses arguments and hands them to the packages that do the work. */
@Command(name = "jdpo", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "DPO fine-tuning of GGUF models on the JVM, with llama.cpp in-process.",
        subcommands = {GenerateCommand.class, ScoreCommand.class, ParityCommand.class, InspectCommand.class,
                QuantizeCommand.class, InfoCommand.class})
public final class Jdpo {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; 0 success, 1 runtime error, 2 usage error. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Jdpo());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.originalArgs().contains("--verbose");
            cmd.getErr().println("jdpo: " + e.getMessage());
            if (verbose) e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl.execute(args);
    }
}
