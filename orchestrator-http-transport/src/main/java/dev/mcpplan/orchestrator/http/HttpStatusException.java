package dev.mcpplan.orchestrator.http;

import java.time.Duration;
import java.util.Optional;

/**
 * An MCP server over HTTP answered a request with a status that is not a JSON-RPC answer: 401 or 403
 * (the credentials), 429 (too many requests, with the server's {@code Retry-After} when it sent one),
 * 5xx (the server failed), or 400 to a request outside a session (the server refused the opening, for
 * instance its protocol revision). {@link HttpStatusClassifier} turns it into an error kind.
 *
 * <p>A 5xx may come after the server ran the request, so it counts as possibly sent; the others say the
 * server did not take the request.
 */
public final class HttpStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Duration retryAfter;

    HttpStatusException(String message, int status, Duration retryAfter) {
        super(message);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    /** The HTTP status code. */
    public int status() {
        return status;
    }

    /** The wait the server asked for in its {@code Retry-After} header. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
