package io.jdpo.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jdpo command line: parses arguments and hands them to the packages that do the work. */
@Command(name = "jdpo", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "DPO fine-tuning of GGUF models on the JVM, with llama.cpp in-process.",
        subcommands = {GenerateCommand.class, ScoreCommand.class, ParityCommand.class, InspectCommand.class,
                QuantizeCommand.class, InfoCommand.class, TrainCommand.class, SftCommand.class, ExportAdapterCommand.class, MergeCommand.class, ImatrixCommand.class, DemoCommand.class, EvalCommand.class, OnlineCommand.class, FrontierCommand.class, BuildDemoModelCommand.class})
public final class Jdpo {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; 0 success, 1 runtime error, 2 usage error. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Jdpo());
        cl.setOverwrittenOptionsAllowed(true);
        // Wide enough that every example command in a footer stays on one line to copy.
        cl.setUsageHelpWidth(110);
        try {
            args = withConfig(args);
        } catch (IllegalArgumentException e) {
            cl.getErr().println("jdpo: " + e.getMessage());
            return 2;
        }
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.originalArgs().contains("--verbose");
            cmd.getErr().println("jdpo: " + message(e));
            if (verbose) e.printStackTrace(cmd.getErr());
            return 1;
        });
        try {
            return cl.execute(args);
        } catch (LinkageError e) {
            // A kernel class that cannot initialise on this JVM (its vector unit, its flags):
            // one line naming the root cause and the way round it, not a stack trace.
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            cl.getErr().println("jdpo: the Java engine cannot start: " + root
                    + "; -Djdpo.simd=scalar (in JAVA_TOOL_OPTIONS) selects the scalar kernels");
            return 1;
        }
    }

    /**
     * The line a failure prints. The JDK's file-system exceptions carry only the path as
     * their message ("runs/x/adapter.gguf"), which reads as no explanation at all; they get
     * the problem named in front of it.
     */
    static String message(Throwable e) {
        Throwable t = e instanceof java.io.UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
        if (t instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            String what = switch (f) {
                case java.nio.file.NoSuchFileException n -> "no such file";
                case java.nio.file.AccessDeniedException a -> "permission denied";
                case java.nio.file.FileAlreadyExistsException a -> "file already exists";
                case java.nio.file.NotDirectoryException n -> "not a directory";
                case java.nio.file.DirectoryNotEmptyException d -> "directory not empty";
                default -> f.getReason() != null ? f.getReason() : "file system error";
            };
            String other = f.getOtherFile() != null ? " -> " + f.getOtherFile() : "";
            return what + ": " + f.getFile() + other;
        }
        return String.valueOf(e.getMessage());
    }

    /**
     * "CMD ... --config FILE ..." becomes "CMD &lt;options from FILE&gt; ... --config FILE ...":
     * the file's options come first, so the command line's own flags win.
     */
    static String[] withConfig(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String file = args[i].startsWith("--config=") ? args[i].substring(9)
                    : args[i].equals("--config") && i + 1 < args.length ? args[i + 1] : null;
            if (file == null || args.length == 0) continue;
            java.util.List<String> out = new java.util.ArrayList<>();
            out.add(args[0]);
            out.addAll(ConfigFile.arguments(java.nio.file.Path.of(file)));
            out.addAll(java.util.Arrays.asList(args).subList(1, args.length));
            return out.toArray(String[]::new);
        }
        return args;
    }
}
