package dev.mcpplan.orchestrator.core.internal.config;

import java.time.Duration;
import java.util.Optional;

/**
 * How hard the orchestrator may use one server, from {@code servers.NAME} in the settings.
 *
 * @param rateLimit at most this many calls ...
 * @param ratePeriod ... per this period (both null: no limit); {@code "10/1h"} in the settings
 * @param maxConcurrent at most this many calls at once to each instance; 0 for no limit
 * @param instances how many processes (or connections) of the server run side by side, each call going
 *     to the one with the fewest calls in flight; 1 by default
 */
public record ServerLimits(Integer rateLimit, Duration ratePeriod, int maxConcurrent, int instances) {
    public static final ServerLimits NONE = new ServerLimits(null, null, 0, 1);
    /** The most instances of one server. */
    public static final int MOST_INSTANCES = 64;

    public ServerLimits {
        if ((rateLimit == null) != (ratePeriod == null)) {
            throw new IllegalArgumentException("a rate limit needs both a count and a period");
        }
        if (rateLimit != null && rateLimit < 1) {
            throw new IllegalArgumentException("a rate limit must allow at least 1 call");
        }
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("maxConcurrent must be 0 (no limit) or more");
        }
        if (instances < 1 || instances > MOST_INSTANCES) {
            throw new IllegalArgumentException("instances must be from 1 to " + MOST_INSTANCES);
        }
    }

    /** Reads {@code "10/1h"}, {@code "5/30s"}, {@code "100/1d"}. */
    public static ServerLimits withRate(String text, int maxConcurrent, int instances) {
        String[] parts = text.split("/", 2);
        if (parts.length != 2 || !parts[0].strip().matches("\\d{1,9}")) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a rate limit (write calls/period, such as 10/1h, at most 999999999 calls)");
        }
        return new ServerLimits(
                Integer.parseInt(parts[0].strip()), Durations.parse(parts[1]), maxConcurrent, instances);
    }

    public Optional<Duration> period() {
        return Optional.ofNullable(ratePeriod);
    }
}
