package dev.mcpplan.orchestrator.core.internal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * File writes that never leave a file half-written: write a temporary file beside the target, force it
 * to disk, then move it over the target atomically.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Replaces {@code target} with {@code content}, atomically: a reader sees the old bytes or the new,
     * never a mix, and a crash leaves the old file in place. A replaced file keeps its POSIX permissions;
     * a new one is readable by its owner only.
     */
    public static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
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
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private static void keepPermissions(Path from, Path to) throws IOException {
        try {
            Files.setPosixFilePermissions(to, Files.getPosixFilePermissions(from));
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            // a new file, or a file system without POSIX permissions: the temporary file's own stay
        }
    }

    /**
     * Moves {@code source} into {@code targetDir} under its own name, or under {@code name-2.md},
     * {@code name-3.md}, ... when that name is taken: never overwrites. The move is atomic (same file
     * system), so of two processes moving the same file, exactly one succeeds.
     *
     * @return the new path
     * @throws java.nio.file.NoSuchFileException if the source is gone (another process moved it first);
     *     then nothing is left in the target folder
     */
    public static Path moveWithoutOverwrite(Path source, Path targetDir) throws IOException {
        Files.createDirectories(targetDir);
        String fileName = source.getFileName().toString();
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        String ext = dot > 0 ? fileName.substring(dot) : "";
        for (int n = 1; ; n++) {
            Path target = targetDir.resolve(n == 1 ? fileName : stem + "-" + n + ext);
            if (Files.exists(target)) {
                continue;
            }
            try {
                // link, then unlink the source: unlike a rename, a link never replaces an existing file;
                // and of two processes racing for one source, only the one whose unlink succeeds wins
                Files.createLink(target, source);
            } catch (FileAlreadyExistsException raced) {
                continue;
            } catch (UnsupportedOperationException | IOException noLinks) {
                if (!Files.exists(source)) {
                    throw noLinks;
                }
                if (Files.exists(target)) {
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
