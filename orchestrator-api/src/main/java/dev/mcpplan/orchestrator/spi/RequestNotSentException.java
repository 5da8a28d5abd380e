package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.OrchestratorException;

/**
 * Raised by a transport, or by the orchestrator, when a request was never written to the server: the
 * server is gone, cannot start, or is shut off by its circuit breaker. Such a call cannot have had any
 * effect, so the orchestrator may retry it even for a tool that is not idempotent.
 */
public class RequestNotSentException extends OrchestratorException {
    private static final long serialVersionUID = 1L;

    public RequestNotSentException(String message) {
        super(message);
    }

    public RequestNotSentException(String message, Throwable cause) {
        super(message, cause);
    }
}
