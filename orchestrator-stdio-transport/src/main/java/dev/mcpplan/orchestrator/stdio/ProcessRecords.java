package dev.mcpplan.orchestrator.stdio;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state file per JVM, {@code stdio-PID-START.servers} in the state directory, that lists the server
 * processes this JVM runs as {@code PID START} lines (START being the process's start instant), so that
 * a host started after this JVM was killed ends what the watchdog could not: the first server start in
 * a JVM reads the files of JVMs that are gone and ends each listed process (and its descendants) whose
 * pid AND start instant still match, so that a pid the system gave to another process since is never
 * touched. Files of JVMs that still run are left alone: several hosts may share one directory.
 *
 * <p>Thread-safe. The file is rewritten whole (temporary file, then move) on each change.
 */
final class ProcessRecords {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRecords.class);
    private static final String SUFFIX = ".servers";
    private static final Set<Path> SWEPT = ConcurrentHashMap.newKeySet();
    private static final Map<Path, Map<Long, String>> RUNNING = new ConcurrentHashMap<>();

    private ProcessRecords() {}

    /**
     * Ends, once per directory and JVM, the servers that dead hosts recorded in {@code directory}.
     */
    static void endLeftovers(Path directory) {
        if (!SWEPT.add(directory)) {
            return;
        }
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "stdio-*" + SUFFIX)) {
            for (Path file : files) {
                if (!ownerAlive(file.getFileName().toString())) {
                    endListed(file);
                }
            }
        } catch (IOException e) {
            LOG.warn("could not read the server records in {}: {}", directory, e.toString());
        }
    }

    private static boolean ownerAlive(String fileName) {
        String[] parts =
                fileName.substring(0, fileName.length() - SUFFIX.length()).split("-", 3);
        if (parts.length != 3) {
            return true; // not ours to judge
        }
        try {
            return matches(Long.parseLong(parts[1]), Instant.ofEpochMilli(Long.parseLong(parts[2])));
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private static void endListed(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (java.nio.file.NoSuchFileException e) {
            return; // another host swept it first
        }
        for (String line : lines) {
            String[] parts = line.strip().split(" ");
            try {
                long pid = Long.parseLong(parts[0]);
                if (parts.length == 2 && matches(pid, Instant.parse(parts[1]))) {
                    ProcessHandle.of(pid).ifPresent(server -> end(server, file));
                }
            } catch (RuntimeException e) {
                LOG.debug("skipped the line '{}' of {}: {}", line, file, e.toString());
            }
        }
        Files.deleteIfExists(file);
    }

    private static void end(ProcessHandle server, Path file) {
        List<ProcessHandle> tree = new ArrayList<>(server.descendants().toList());
        tree.add(server);
        tree.forEach(ProcessHandle::destroyForcibly);
        LOG.warn(
                "ended server process {} (and {} descendants) that a host which died left running ({})",
                server.pid(),
                tree.size() - 1,
                file.getFileName());
    }

    /** Whether the process {@code pid} runs and started at {@code start} (to the millisecond). */
    private static boolean matches(long pid, Instant start) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .flatMap(h -> h.info().startInstant())
                .map(s -> s.toEpochMilli() == start.toEpochMilli())
                .orElse(false);
    }

    /** Records a server process of this JVM. */
    static void add(Path directory, ProcessHandle server) {
        Optional<Instant> start = server.info().startInstant();
        if (start.isEmpty()) {
            return; // without a start instant a record could one day name another process
        }
        Map<Long, String> mine = RUNNING.computeIfAbsent(directory, d -> new LinkedHashMap<>());
        synchronized (mine) {
            mine.put(server.pid(), start.get().toString());
            write(directory, mine);
        }
    }

    /** Forgets a server process of this JVM that ended. */
    static void remove(Path directory, long pid) {
        Map<Long, String> mine = RUNNING.get(directory);
        if (mine == null) {
            return;
        }
        synchronized (mine) {
            if (mine.remove(pid) != null) {
                write(directory, mine);
            }
        }
    }

    private static void write(Path directory, Map<Long, String> servers) {
        ProcessHandle jvm = ProcessHandle.current();
        Path file = directory.resolve("stdio-" + jvm.pid() + "-"
                + jvm.info().startInstant().map(Instant::toEpochMilli).orElse(0L) + SUFFIX);
        try {
            if (servers.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            if (!Files.isDirectory(directory)) {
                Files.createDirectories(directory);
                if (Files.getFileStore(directory).supportsFileAttributeView("posix")) {
                    Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
                }
            }
            StringBuilder text = new StringBuilder();
            servers.forEach(
                    (pid, start) -> text.append(pid).append(' ').append(start).append('\n'));
            Path temp = Files.createTempFile(directory, ".stdio-", ".tmp");
            Files.writeString(temp, text);
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("could not record the server processes in {}: {}", file, e.toString());
        }
    }
}
