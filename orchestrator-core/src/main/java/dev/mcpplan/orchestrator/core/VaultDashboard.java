package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.core.internal.io.AtomicFiles;
import dev.mcpplan.orchestrator.core.internal.io.FileLocks;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A vault's {@code Dashboard.md}: the {@code ## Recent Activity} list, newest first, at most 50 lines.
 * Writers in several processes take turns under a lock on {@code .dashboard.lock}; each write is atomic.
 */
final class VaultDashboard {
    private static final int LINES = 50;
    private static final int MAX_BYTES = 4 * 1024 * 1024;

    /** A JVM may not hold two locks on one file: the plans of one process finishing at once queue here first. */
    private static final ConcurrentMap<Path, Object> IN_THIS_JVM = new ConcurrentHashMap<>();

    private VaultDashboard() {}

    /** Adds {@code line} under {@code ## Recent Activity}, unless it is there (a recovery may write it again). */
    static void add(Path vault, String line) throws IOException {
        synchronized (IN_THIS_JVM.computeIfAbsent(vault.toAbsolutePath().normalize(), v -> new Object())) {
            addLocked(vault, line);
        }
    }

    private static void addLocked(Path vault, String line) throws IOException {
        Path dashboard = vault.resolve("Dashboard.md");
        try (FileChannel lockFile = FileChannel.open(
                vault.resolve(".dashboard.lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS)) {
            FileLock lock = FileLocks.exclusive(lockFile);
            try {
                List<String> lines = new ArrayList<>(List.of("# Dashboard", ""));
                if (Files.exists(dashboard, LinkOption.NOFOLLOW_LINKS)) {
                    lines = new ArrayList<>(List.of(
                            new String(AtomicFiles.readRegularFile(dashboard, MAX_BYTES), StandardCharsets.UTF_8)
                                    .split("\r?\n", -1)));
                    if (lines.get(lines.size() - 1).isEmpty()) {
                        lines.remove(lines.size() - 1);
                    }
                }
                if (lines.contains(line)) {
                    return;
                }
                int heading = lines.indexOf("## Recent Activity");
                if (heading < 0) {
                    lines.add("");
                    lines.add("## Recent Activity");
                    heading = lines.size() - 1;
                }
                lines.add(heading + 1, line);
                int end = heading + 1;
                while (end < lines.size() && lines.get(end).startsWith("- ")) {
                    end++;
                }
                if (end - heading - 1 > LINES) {
                    lines.subList(heading + 1 + LINES, end).clear();
                }
                AtomicFiles.write(dashboard, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
            } finally {
                lock.release();
            }
        }
    }
}
