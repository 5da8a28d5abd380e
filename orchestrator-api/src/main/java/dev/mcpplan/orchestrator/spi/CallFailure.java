package dev.mcpplan.orchestrator.spi;

import java.util.Objects;
import java.util.Optional;

/**
 * A failed tool call, as an {@link ErrorClassifier} sees it: either an exception (a JSON-RPC error, a
 * time-out, a broken connection) or a result the tool marked {@code isError}.
 *
 * @param server the server's name
 * @param tool the tool's name
 * @param exception what the call raised, or empty for an error result
 * @param jsonRpcCode the JSON-RPC error code, when the server answered with an error
 * @param message the error's text: the exception's message, or the error result's text content
 * @param structuredContent the error result's structured content, if it has any
 */
public record CallFailure(
        String server,
        String tool,
        Optional<Throwable> exception,
        Optional<Integer> jsonRpcCode,
        String message,
        Optional<Object> structuredContent) {
    public CallFailure {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(exception, "exception");
        Objects.requireNonNull(jsonRpcCode, "jsonRpcCode");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(structuredContent, "structuredContent");
    }

    /** Whether the tool answered with {@code isError} rather than the call failing. */
    public boolean errorResult() {
        return exception.isEmpty();
    }
}
