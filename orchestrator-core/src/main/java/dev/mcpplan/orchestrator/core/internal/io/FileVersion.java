package dev.mcpplan.orchestrator.core.internal.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * One version of a file as {@code lstat} sees it: which file (its inode, where the file system has
 * one), its size, and its modification and status change times. A write in place changes the times, a
 * replacement the file key; the status change time cannot be set back by a writer, so an equal version
 * is the same content without the file being read.
 *
 * @param fileKey the file's identity, or null where the file system has none
 * @param changed the status change time, or the modification time where there is none
 */
public record FileVersion(Object fileKey, long size, FileTime modified, FileTime changed) {
    public static FileVersion of(Path file) throws IOException {
        BasicFileAttributes attributes =
                Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        FileTime changed = attributes.lastModifiedTime();
        try {
            changed = (FileTime) Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            // the modification time is all there is to go by
        }
        return new FileVersion(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime(), changed);
    }

    /** Whether {@code other} is this file with these bytes, whatever a rename did to its status change time. */
    boolean sameBytesAs(FileVersion other) {
        return fileKey != null
                && fileKey.equals(other.fileKey)
                && size == other.size
                && modified.equals(other.modified);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileVersion v
                && fileKey != null
                && fileKey.equals(v.fileKey)
                && size == v.size
                && modified.equals(v.modified)
                && changed.equals(v.changed);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fileKey, size, modified, changed);
    }
}
