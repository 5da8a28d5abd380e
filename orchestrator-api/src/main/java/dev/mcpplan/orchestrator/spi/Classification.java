package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.ErrorKind;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What an {@link ErrorClassifier} decided.
 *
 * @param kind the error kind
 * @param message the message for people; the orchestrator redacts it before it is logged
 * @param retryAfter how long to wait before trying again, when the server said (a rate limit's
 *     "retry after 30 seconds")
 */
public record Classification(ErrorKind kind, String message, Optional<Duration> retryAfter) {
    public Classification {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(retryAfter, "retryAfter");
    }

    public static Classification of(ErrorKind kind, String message) {
        return new Classification(kind, message, Optional.empty());
    }
}
