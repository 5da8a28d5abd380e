package dev.mcpplan.orchestrator.core.internal.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * A plan's place in the queue, from its front matter {@code priority}: the words plans in the wild use
 * ({@code urgent} or {@code critical}, {@code high}, {@code medium} or {@code normal}, {@code low}), or a
 * number, 0 the most urgent ({@code urgent} is 0, {@code high} 1, {@code medium} 2, {@code low} 3).
 * A plan without one is medium.
 *
 * <p>Waiting makes a plan more urgent by one level every {@link #AGING}, so that a low-priority plan is
 * not left behind forever by a stream of urgent ones: after a quarter of an hour a low plan ranks with
 * those that are urgent now.
 */
public final class Priority {
    /** The front matter field. */
    public static final String FIELD = "priority";
    /** A plan without a priority. */
    public static final int MEDIUM = 2;
    /** How long a plan waits to gain one level. */
    public static final Duration AGING = Duration.ofMinutes(5);

    private Priority() {}

    /**
     * The level a front matter value names; empty for a value that is none of the words and no whole
     * number from 0 to 1000.
     */
    public static Optional<Integer> level(Object value) {
        if (value == null) {
            return Optional.of(MEDIUM);
        }
        String word = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
        return switch (word) {
            case "urgent", "critical" -> Optional.of(0);
            case "high" -> Optional.of(1);
            case "medium", "normal" -> Optional.of(MEDIUM);
            case "low" -> Optional.of(3);
            default ->
                word.matches("\\d{1,4}") && Integer.parseInt(word) <= 1000
                        ? Optional.of(Integer.parseInt(word))
                        : Optional.empty();
        };
    }

    /**
     * The level a plan of {@code level} that has waited since {@code since} ranks with at {@code now}:
     * lower runs first.
     */
    public static double rank(int level, Instant since, Instant now) {
        double waited = Math.max(0, Duration.between(since, now).toMillis());
        return level - waited / AGING.toMillis();
    }
}
