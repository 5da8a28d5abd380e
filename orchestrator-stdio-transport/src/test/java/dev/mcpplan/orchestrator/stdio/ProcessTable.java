package dev.mcpplan.orchestrator.stdio;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Questions to the operating system's process table; the other modules' tests use it through this
 * module's test jar. A process may end between being listed and being read: it then counts as ended,
 * never as an error.
 */
public final class ProcessTable {
    private ProcessTable() {}

    /** The pids of this JVM's descendants now, without the stdio watchdog (which lives as long as the JVM). */
    public static List<Long> descendantsOfThisJvm() {
        return ProcessHandle.current()
                .descendants()
                .map(ProcessHandle::pid)
                .filter(pid -> !commandLine(pid).orElse("").contains(HostWatchdog.NAME))
                .toList();
    }

    /** The pid of the stdio watchdog of the JVM {@code jvmPid}, while it runs. */
    public static Optional<Long> watchdogOf(long jvmPid) {
        String mark = HostWatchdog.NAME + " " + jvmPid;
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(name -> name.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .filter(pid -> commandLine(pid).orElse("").endsWith(mark))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The process {@code pid} and all its descendants, as they are now; empty when it has ended. */
    public static List<Long> tree(long pid) {
        return ProcessHandle.of(pid)
                .map(root -> Stream.concat(Stream.of(root), root.descendants())
                        .map(ProcessHandle::pid)
                        .toList())
                .orElse(List.of());
    }

    /**
     * The pids among {@code pids} still running after waiting up to {@code millis}. A zombie counts as
     * ended: it runs nothing and waits only for init to reap it.
     */
    public static List<Long> survivors(List<Long> pids, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        List<Long> alive = pids.stream().filter(ProcessTable::running).toList();
        while (!alive.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            alive = alive.stream().filter(ProcessTable::running).toList();
        }
        return alive;
    }

    /** Whether {@code pid} runs (is neither gone nor a zombie). */
    public static boolean running(long pid) {
        if (!Files.isDirectory(Path.of("/proc", "self"))) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
        return read(Path.of("/proc", Long.toString(pid), "stat"))
                .map(line -> {
                    char state = line.charAt(line.lastIndexOf(')') + 2);
                    return state != 'Z' && state != 'X';
                })
                .orElse(false);
    }

    private static Optional<String> commandLine(long pid) {
        return read(Path.of("/proc", Long.toString(pid), "cmdline"))
                .map(s -> s.replace('\0', ' ').strip());
    }

    /** The text of a /proc file; empty when the process ended before or while it was read. */
    private static Optional<String> read(Path file) {
        try {
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            return text.isEmpty() ? Optional.empty() : Optional.of(text);
        } catch (IOException e) {
            // NoSuchFileException, or ESRCH ("No such process") when it ended mid-read
            return Optional.empty();
        }
    }
}
