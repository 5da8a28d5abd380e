package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.core.internal.plan.PlanDocument;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A directory entry of a vault folder as {@code lstat} sees it: never followed, never opened; and
 * whether it may run as a plan.
 *
 * @param changed the later of its modification and status change time (a move, a link, a chmod)
 * @param links its hard link count (1 where the file system cannot tell)
 */
record VaultEntry(Path path, BasicFileAttributes attributes, Instant changed, int links) {
    static VaultEntry of(Path path) throws IOException {
        BasicFileAttributes attributes =
                Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Instant changed = attributes.lastModifiedTime().toInstant();
        int links = 1;
        try {
            Map<String, Object> unix = Files.readAttributes(path, "unix:ctime,nlink", LinkOption.NOFOLLOW_LINKS);
            Instant ctime = ((FileTime) unix.get("ctime")).toInstant();
            changed = ctime.isAfter(changed) ? ctime : changed;
            links = (Integer) unix.get("nlink");
        } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
            // modification time and one link are all there is to go by
        }
        return new VaultEntry(path, attributes, changed, links);
    }

    String name() {
        return path.getFileName().toString();
    }

    /** How much longer it must stay as it is to count as settled; zero when it does, or is no plan file. */
    Duration settledAfter(Instant now, Duration settle) {
        if (!attributes.isRegularFile()) {
            return Duration.ZERO;
        }
        Duration quiet = Duration.between(changed, now);
        return quiet.compareTo(settle) >= 0 ? Duration.ZERO : settle.minus(quiet);
    }

    /** Why this entry is not run as a plan, if it is not. */
    Optional<String> refusal() {
        if (attributes.isSymbolicLink()) {
            return Optional.of("is a symbolic link (to " + linkTarget(path)
                    + "); refused, and its target left untouched: a plan must be a file in the vault");
        }
        if (attributes.isDirectory()) {
            return Optional.of("is a folder, not a plan file");
        }
        if (!attributes.isRegularFile()) {
            return Optional.of("is not a regular file (a FIFO, socket or device); refused without opening it");
        }
        if (links > 1) {
            return Optional.of("has " + links + " hard links, so it may be a file outside the vault; refused");
        }
        if (attributes.size() > PlanParser.MAX_PLAN_BYTES) {
            return Optional.of("the file has " + attributes.size() + " bytes; a plan may have at most "
                    + PlanParser.MAX_PLAN_BYTES / 1024 + " KiB; refused without reading it");
        }
        return Optional.empty();
    }

    /** Where a symbolic link leads, as one line, for messages. */
    static String linkTarget(Path link) {
        try {
            return PlanDocument.oneLine(Files.readSymbolicLink(link).toString());
        } catch (IOException e) {
            return "?";
        }
    }
}
