package dev.mcpplan.orchestrator.core.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * File writes that never leave a file half-written: write a temporary file beside the target, force it
 * to disk, then move it over the target atomically. Temporary files carry the writer's process id, so
 * that those of a process that died (SIGKILL leaves them behind) can be told from those of a live one
 * and deleted ({@link #deleteStaleTemporaryFiles}).
 */
public final class AtomicFiles {
    /** {@code .NAME.PID-RANDOM.tmp} and {@code .journal-PID-RANDOM.tmp}: the writer's pid, then a random number. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..*[.-](\\d{1,10})-\\d+\\.tmp");

    private static final long PID = ProcessHandle.current().pid();

    private AtomicFiles() {}

    /**
     * Replaces {@code target} with {@code content}, atomically: a reader sees the old bytes or the new,
     * never a mix, and a crash leaves the old file in place. A replaced file keeps its POSIX permissions;
     * a new one is readable by its owner only. A symbolic link at {@code target} is replaced, never
     * followed.
     */
    public static void write(Path target, byte[] content) throws IOException {
        writeVersion(target, content);
    }

    /**
     * As {@link #write}, telling which version of the file the write made, so that a later look can
     * tell whether anyone changed it since without reading it; empty when another writer changed it
     * as soon as it was moved into place.
     */
    public static Optional<FileVersion> writeVersion(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = temporaryFile(dir, "." + target.getFileName() + ".");
        try {
            keepPermissions(target, temp);
            try (FileChannel channel =
                    FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            FileVersion written = FileVersion.of(temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            try {
                FileVersion placed = FileVersion.of(target);
                return placed.sameBytesAs(written) ? Optional.of(placed) : Optional.empty();
            } catch (NoSuchFileException movedOn) {
                return Optional.empty();
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A new empty file in {@code dir} named {@code prefix + PID-RANDOM.tmp}, for this process to write and move. */
    public static Path temporaryFile(Path dir, String prefix) throws IOException {
        return Files.createTempFile(dir, prefix + PID + "-", ".tmp");
    }

    /**
     * Deletes the temporary files in {@code dir} whose writer process is no longer alive on this host.
     * A live writer's files (this process's too) are kept: they are about to be moved into place.
     *
     * @return how many were deleted
     */
    public static int deleteStaleTemporaryFiles(Path dir) throws IOException {
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path file : files) {
                Matcher m = TEMPORARY.matcher(file.getFileName().toString());
                if (m.matches() && !alive(Long.parseLong(m.group(1))) && Files.deleteIfExists(file)) {
                    deleted++;
                }
            }
        } catch (NoSuchFileException gone) {
            return deleted;
        }
        return deleted;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void keepPermissions(Path from, Path to) throws IOException {
        try {
            Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from, LinkOption.NOFOLLOW_LINKS));
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            // a new file, or a file system without POSIX permissions: the temporary file's own stay
        }
    }

    /**
     * Reads a regular file of at most {@code limit} bytes without following a symbolic link (the open
     * fails on one), so that what is read is the file that was checked, never a FIFO or device behind a
     * link.
     *
     * @throws FileTooLargeException if the file holds more than {@code limit} bytes; then at most
     *     {@code limit + 1} bytes were read
     */
    public static byte[] readRegularFile(Path file, int limit) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = Channels.newInputStream(channel).readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new FileTooLargeException(file, limit);
            }
            return bytes;
        }
    }

    /** A file holds more bytes than a reader accepts. */
    public static final class FileTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        FileTooLargeException(Path file, int limit) {
            super(file + " holds more than " + limit + " bytes");
        }
    }

    /**
     * Moves {@code source} into {@code targetDir} under its own name, or under {@code name-2.md},
     * {@code name-3.md}, ... when that name is taken: never overwrites. The move is atomic (same file
     * system), so of two processes moving the same file, exactly one succeeds. A symbolic link is moved
     * as the link, never followed.
     *
     * @return the new path
     * @throws java.nio.file.NoSuchFileException if the source is gone (another process moved it first);
     *     then nothing is left in the target folder
     */
    public static Path moveWithoutOverwrite(Path source, Path targetDir) throws IOException {
        return moveWithoutOverwrite(source, targetDir, target -> true);
    }

    /** Called with the name a move is about to take, before it takes it (a journal records it there). */
    public interface BeforeMove {
        /** Whether the move may take this name; false makes it try the next one. */
        boolean to(Path target) throws IOException;
    }

    /**
     * As {@link #moveWithoutOverwrite(Path, Path)}, telling {@code before} each name just before the move
     * tries it.
     */
    public static Path moveWithoutOverwrite(Path source, Path targetDir, BeforeMove before) throws IOException {
        Files.createDirectories(targetDir);
        String fileName = source.getFileName().toString();
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        String ext = dot > 0 ? fileName.substring(dot) : "";
        for (int n = 1; ; n++) {
            Path target = targetDir.resolve(n == 1 ? fileName : stem + "-" + n + ext);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            if (!before.to(target)) {
                continue;
            }
            try {
                // link, then unlink the source: unlike a rename, a link never replaces an existing file;
                // and of two processes racing for one source, only the one whose unlink succeeds wins
                Files.createLink(target, source);
            } catch (FileAlreadyExistsException raced) {
                continue;
            } catch (UnsupportedOperationException | IOException noLinks) {
                // a directory cannot be linked: renamed instead
                if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                    throw noLinks;
                }
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
                return target;
            }
            try {
                Files.delete(source);
            } catch (IOException lostRace) {
                Files.deleteIfExists(target);
                throw lostRace;
            }
            return target;
        }
    }
}
