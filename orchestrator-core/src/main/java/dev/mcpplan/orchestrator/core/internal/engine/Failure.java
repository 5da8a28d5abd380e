package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.ErrorKind;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * A classified failure: what kind it is and a message for people. Classifies exceptions from a call
 * (JSON-RPC errors, transport failures, time-outs) and error results ({@code isError}).
 *
 * @param kind the error kind
 * @param message what went wrong
 */
record Failure(ErrorKind kind, String message) {
    private static final Pattern AUTH = Pattern.compile("\\b(401|403|unauthori[sz]ed|forbidden|invalid credentials"
            + "|authentication failed|invalid api key|access denied)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern RATE = Pattern.compile("\\b(429|rate.?limit(ed)?|too many requests|quota exceeded"
            + "|retry.after)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern TIMEOUT = Pattern.compile("\\b(timed out|time-?out)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern GONE = Pattern.compile("\\b(exited|not running|terminated|connection closed"
            + "|cannot start|could not start|failed to start|no such file|broken pipe|stream closed)\\b",
            Pattern.CASE_INSENSITIVE);

    /** Classifies an exception raised by a call. */
    static Failure of(Throwable error) {
        String message = messageOf(error);
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException) {
                return new Failure(ErrorKind.TIMEOUT, message);
            }
            if (t instanceof McpError mcp && mcp.getJsonRpcError() != null) {
                return ofJsonRpc(mcp.getJsonRpcError(), message);
            }
        }
        if (TIMEOUT.matcher(message).find()) {
            return new Failure(ErrorKind.TIMEOUT, message);
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return new Failure(ErrorKind.UNAVAILABLE, message);
            }
        }
        return new Failure(GONE.matcher(message).find() ? ErrorKind.UNAVAILABLE : ErrorKind.SERVER_ERROR, message);
    }

    private static Failure ofJsonRpc(McpSchema.JSONRPCResponse.JSONRPCError error, String message) {
        int code = error.code() == null ? 0 : error.code();
        if (AUTH.matcher(message).find()) {
            return new Failure(ErrorKind.AUTHENTICATION, message);
        }
        if (RATE.matcher(message).find()) {
            return new Failure(ErrorKind.RATE_LIMIT, message);
        }
        if (TIMEOUT.matcher(message).find()) {
            return new Failure(ErrorKind.TIMEOUT, message);
        }
        if (GONE.matcher(message).find()) {
            return new Failure(ErrorKind.UNAVAILABLE, message);
        }
        if (code == McpSchema.ErrorCodes.INVALID_PARAMS || code == McpSchema.ErrorCodes.METHOD_NOT_FOUND
                || code == McpSchema.ErrorCodes.INVALID_REQUEST) {
            return new Failure(ErrorKind.VALIDATION, message);
        }
        return new Failure(ErrorKind.SERVER_ERROR, message);
    }

    /** Classifies a tool's error result by its text. */
    static Failure ofErrorResult(String text) {
        if (AUTH.matcher(text).find()) {
            return new Failure(ErrorKind.AUTHENTICATION, text);
        }
        if (RATE.matcher(text).find()) {
            return new Failure(ErrorKind.RATE_LIMIT, text);
        }
        return new Failure(ErrorKind.TOOL_ERROR, text);
    }

    private static String messageOf(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip();
    }

    /** Whether the kind means "try again later" rather than "this will never work". */
    boolean transientKind() {
        return switch (kind) {
            case SERVER_ERROR, TIMEOUT, UNAVAILABLE, RATE_LIMIT -> true;
            default -> false;
        };
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(Locale.ROOT) + ": " + message;
    }
}
