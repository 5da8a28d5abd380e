package dev.mcpplan.orchestrator.stdio;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Questions to the operating system's process table; the other modules' tests use it through this module's test jar. */
public final class ProcessTable {
    private ProcessTable() {}

    /** The pids of this JVM's descendants now. */
    public static List<Long> descendantsOfThisJvm() {
        return ProcessHandle.current().descendants().map(ProcessHandle::pid).toList();
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
            throw new UncheckedIOException("cannot read " + stat, e);
        }
    }
}
