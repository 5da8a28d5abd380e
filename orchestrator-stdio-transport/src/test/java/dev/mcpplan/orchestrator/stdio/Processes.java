package dev.mcpplan.orchestrator.stdio;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Test servers started from this JVM's class path, and questions to the process table. */
final class Processes {
    private Processes() {
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The command line that starts a {@link ScriptServer} with {@code options}. */
    static List<String> scriptServerCommand(String... options) {
        List<String> command = new ArrayList<>(List.of(java(), "-cp", System.getProperty("java.class.path"),
                ScriptServer.class.getName()));
        command.addAll(List.of(options));
        return command;
    }

    static ServerDefinition scriptServer(String name, String... options) {
        List<String> command = scriptServerCommand(options);
        return ServerDefinition.builder(name, ServerDefinition.STDIO).command(command.get(0))
                .args(command.subList(1, command.size())).build();
    }

    /**
     * A script server behind a shell that ignores SIGTERM (and so do its children) and has a
     * background {@code sleep} of its own: only SIGKILL of the whole tree ends it.
     */
    static ServerDefinition stubbornWrappedServer(String name) {
        String server = scriptServerCommand().stream().map(a -> "'" + a + "'").collect(Collectors.joining(" "));
        return ServerDefinition.builder(name, ServerDefinition.STDIO).command("sh")
                .args(List.of("-c", "trap '' TERM; sleep 300 & " + server + "; wait")).build();
    }

    /** The process with {@code pid} and all its descendants, as they are now. */
    static List<ProcessHandle> tree(long pid) {
        ProcessHandle root = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid));
        List<ProcessHandle> tree = new ArrayList<>(List.of(root));
        tree.addAll(root.descendants().toList());
        return tree;
    }

    /**
     * The pids of {@code pids} still running after waiting up to {@code millis}, read from the process
     * table. A zombie counts as ended: it runs no code and holds nothing but its entry, which stays
     * until init reaps it (about a second in this container, whose init is not a shell).
     */
    static List<Long> survivors(List<Long> pids, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        List<Long> alive;
        do {
            alive = pids.stream().filter(Processes::running).toList();
            if (alive.isEmpty()) {
                return alive;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        return alive;
    }

    private static boolean running(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.isDirectory(Path.of("/proc", "self"))) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        try {
            String line = Files.readString(stat);
            char state = line.charAt(line.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new AssertionError("cannot read " + stat, e);
        }
    }
}
