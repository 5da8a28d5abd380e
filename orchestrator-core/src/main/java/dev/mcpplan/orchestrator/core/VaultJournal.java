package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.internal.io.AtomicFiles;
import dev.mcpplan.orchestrator.core.internal.plan.PlanDocument;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The journal of one plan's run, beside the plan in {@code In_Progress/} as {@code .NAME.journal}: a
 * line when a step's request is about to be sent and a line when its result is in, each forced to disk
 * before the orchestrator goes on; but for a step that is safe to repeat (an idempotent or read-only
 * tool), whose lines are written and left to the next forced line or the system to bring to disk, since
 * losing them in a crash only makes the next run call it again. The running process holds an exclusive lock on it; the operating
 * system drops the lock when the process dies, which is how another process knows the run was
 * interrupted and may take it over.
 *
 * <p>Besides the steps it records what the plan file and the dashboard must show, so that a process
 * killed between the journal write and the file write leaves nothing missing after a resume: the
 * Execution Log line of each finished step, that the run is finishing (its verdict is in the plan
 * file, or about to be), and the dashboard line of the move to the plan's last folder.
 *
 * <p>A journal is opened once per process and never through a second channel: closing any channel on
 * a file would release this process's lock on it.
 */
final class VaultJournal {
    /** Journals held by this JVM, across store instances. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path path;
    /** The steps that are safe to repeat, whose lines need not be forced to disk. */
    private final Set<Integer> repeatable = ConcurrentHashMap.newKeySet();

    private final FileChannel channel;
    private final FileLock lock;
    /** The file this journal locked, to tell it from a newer journal that has since taken its name. */
    private final Object fileKey;

    private VaultJournal(Path path, FileChannel channel, FileLock lock) throws IOException {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
        this.fileKey = fileKey(path);
    }

    private static Object fileKey(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
        } catch (NoSuchFileException gone) {
            return null;
        }
    }

    /**
     * What an earlier run got done.
     *
     * @param logLines the Execution Log line of each finished step, in the order they finished
     * @param finishing whether the run had begun to finish (the plan's verdict may be in its file)
     * @param move the plan's last move, once it was about to happen
     */
    record State(
            Set<Integer> succeeded,
            Set<Integer> interrupted,
            List<String> logLines,
            boolean finishing,
            Optional<Move> move) {}

    /**
     * A move of the plan to its last folder.
     *
     * @param target where to, relative to the vault, with {@code /} between names
     * @param dashboardLine what the dashboard gets for it
     */
    record Move(String target, String dashboardLine) {}

    static Path of(Path planFile) {
        return planFile.resolveSibling("." + planFile.getFileName() + ".journal");
    }

    /** The plan files in {@code dir} that have a journal but are gone: their run ended or was cut short. */
    static List<Path> orphans(Path dir) throws IOException {
        List<Path> plans = new ArrayList<>();
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(dir, ".*.journal")) {
            for (Path journal : journals) {
                String name = journal.getFileName().toString();
                Path plan = dir.resolve(name.substring(1, name.length() - ".journal".length()));
                if (!Files.exists(plan, LinkOption.NOFOLLOW_LINKS)) {
                    plans.add(plan);
                }
            }
        }
        return plans;
    }

    /**
     * A new journal, locked, for a plan this process is about to move into {@code In_Progress/}; empty
     * when that name has a journal already (another process claiming it, or a dead one's orphan).
     */
    static Optional<VaultJournal> start(Path planFile) throws IOException {
        return HELD.contains(of(planFile).toAbsolutePath()) ? Optional.empty() : create(planFile);
    }

    /**
     * The journal of an interrupted run, locked for this process; empty when another process (or this
     * one) holds it, that is, when the run is not interrupted but going on.
     */
    static Optional<VaultJournal> takeOver(Path planFile) throws IOException {
        Path path = of(planFile).toAbsolutePath();
        if (HELD.contains(path)) {
            return Optional.empty();
        }
        if (!Files.exists(path)) {
            return create(planFile);
        }
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null || !HELD.add(path)) {
            if (lock != null) {
                lock.release();
            }
            channel.close();
            return Optional.empty();
        }
        return Optional.of(new VaultJournal(path, channel, lock));
    }

    private static Optional<VaultJournal> create(Path planFile) throws IOException {
        Path path = of(planFile).toAbsolutePath();
        Path temp = AtomicFiles.temporaryFile(path.getParent(), ".journal-");
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock = channel.lock();
        try {
            // locked before it has its name, so no other process can take it over in between
            Files.createLink(path, temp);
            Files.delete(temp);
        } catch (FileAlreadyExistsException lostRace) {
            lock.release();
            channel.close();
            Files.deleteIfExists(temp);
            return Optional.empty();
        }
        HELD.add(path);
        return Optional.of(new VaultJournal(path, channel, lock));
    }

    void started(int step, Instant at, boolean safeToRepeat) throws IOException {
        if (safeToRepeat) {
            repeatable.add(step);
        } else {
            repeatable.remove(step);
        }
        append("started " + step + " " + at, !safeToRepeat);
    }

    /** A step's result, with the line the plan's Execution Log gets for it. */
    void finished(int step, StepStatus status, Instant at, String logLine) throws IOException {
        append(
                "finished " + step + " " + status.name().toLowerCase(Locale.ROOT) + " " + at + " "
                        + PlanDocument.oneLine(logLine),
                !repeatable.contains(step));
    }

    /** The run is over: its verdict is about to be written into the plan file. */
    void finishing() throws IOException {
        append("finishing", true);
    }

    /** The plan is about to move to its last folder. */
    void moving(Move move) throws IOException {
        append(
                "moving " + URLEncoder.encode(move.target(), StandardCharsets.UTF_8) + " "
                        + PlanDocument.oneLine(move.dashboardLine()),
                true);
    }

    /**
     * One line, forced to disk (with every line before it) when {@code force}; steps of a plan in parallel
     * mode append from several threads.
     */
    private synchronized void append(String line, boolean force) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        long position = channel.size();
        while (bytes.hasRemaining()) {
            position += channel.write(bytes, position);
        }
        if (force) {
            channel.force(true);
        }
    }

    /**
     * The steps that succeeded, and the steps that started but did not succeed: their request may have
     * reached the server. A torn last line (the process died while writing it) is ignored.
     */
    State read() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(channel.size(), 16 * 1024 * 1024));
        long position = 0;
        while (buffer.hasRemaining() && channel.read(buffer, position) > 0) {
            position = buffer.position();
        }
        String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        Set<Integer> started = new LinkedHashSet<>();
        Set<Integer> succeeded = new LinkedHashSet<>();
        List<String> logLines = new ArrayList<>();
        boolean finishing = false;
        Move move = null;
        int end = text.lastIndexOf('\n');
        for (String line : end < 0 ? new String[0] : text.substring(0, end).split("\n")) {
            String[] f = line.split(" ", 5);
            if (f[0].equals("finishing")) {
                finishing = true;
            } else if (f[0].equals("moving") && line.indexOf(' ', "moving ".length()) > 0) {
                int space = line.indexOf(' ', "moving ".length());
                move = new Move(
                        URLDecoder.decode(line.substring("moving ".length(), space), StandardCharsets.UTF_8),
                        line.substring(space + 1));
            } else if (f.length >= 2 && f[1].matches("\\d{1,6}")) {
                int step = Integer.parseInt(f[1]);
                if (f[0].equals("started")) {
                    started.add(step);
                } else if (f[0].equals("finished") && f.length >= 3) {
                    if (f[2].equals("succeeded")) {
                        succeeded.add(step);
                    }
                    if (f.length == 5) {
                        logLines.add(f[4]);
                    }
                }
            }
        }
        started.removeAll(succeeded);
        return new State(succeeded, started, logLines, finishing, Optional.ofNullable(move));
    }

    /** Releases the lock; the journal file is deleted when the run is over. */
    void close(boolean delete) throws IOException {
        try {
            // a journal started since for a new plan of the same name is not this one's to delete
            if (delete && (fileKey == null || fileKey.equals(fileKey(path)))) {
                Files.deleteIfExists(path);
            }
            lock.release();
            channel.close();
        } finally {
            HELD.remove(path);
        }
    }
}
