package dev.mcpplan.orchestrator;

import java.util.Locale;
import java.util.Optional;

/**
 * The {@code status} of a plan, as written in its front matter.
 */
public enum PlanStatus {
    DRAFT,
    PENDING,
    APPROVED,
    REJECTED,
    IN_PROGRESS,
    COMPLETED,
    FAILED,
    NEEDS_REVIEW,
    RETRY_SCHEDULED;

    /** The value as written in a plan file: lower case with underscores, for example {@code in_progress}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a status as people write it: case, spaces and hyphens do not matter ({@code "In Progress"},
     * {@code in-progress}); {@code done} and {@code complete} mean completed.
     */
    public static Optional<PlanStatus> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String key = text.trim().toUpperCase(Locale.ROOT).replace(' ', '_').replace('-', '_');
        switch (key) {
            case "DONE":
            case "COMPLETE":
                return Optional.of(COMPLETED);
            case "PENDING_APPROVAL":
                return Optional.of(PENDING);
            default:
                for (PlanStatus status : values()) {
                    if (status.name().equals(key)) {
                        return Optional.of(status);
                    }
                }
                return Optional.empty();
        }
    }
}
