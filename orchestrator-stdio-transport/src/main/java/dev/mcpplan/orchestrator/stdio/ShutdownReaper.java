package dev.mcpplan.orchestrator.stdio;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Ends, when the JVM shuts down, every server process tree still running: SIGTERM to each process
 * and its descendants, then SIGKILL to what is left after a short grace period. A host that never
 * closes its orchestrator still leaves no server behind.
 */
final class ShutdownReaper {
    private static final long GRACE_MILLIS = 1000;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ShutdownReaper::reap, "mcp-stdio-reaper"));
    }

    private ShutdownReaper() {}

    static void register(Process process) {
        LIVE.add(process);
    }

    static void unregister(Process process) {
        LIVE.remove(process);
    }

    private static void reap() {
        List<ProcessHandle> tree = LIVE.stream()
                .flatMap(p -> Stream.concat(Stream.of(p.toHandle()), p.descendants()))
                .toList();
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        for (ProcessHandle h : tree) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                try {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (ExecutionException | TimeoutException e) {
                    break; // what is still alive is killed below
                }
            }
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
