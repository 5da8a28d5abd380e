package dev.mcpplan.orchestrator.core.internal.engine;

import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.RateLimitExceededException;
import dev.failsafe.TimeoutExceededException;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.spi.CallFailure;
import dev.mcpplan.orchestrator.spi.Classification;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The last classifier of the chain; it answers for every failure. Exceptions: time-outs are TIMEOUT;
 * a request that was never sent, an open circuit, a broken connection or a dead
 * server are UNAVAILABLE; our own rate limiter is RATE_LIMIT; a JSON-RPC error is read by its text
 * (authentication, rate limit, time-out, a dead server) and then by its code (invalid params, unknown
 * method: VALIDATION; anything else SERVER_ERROR). Error results ({@code isError}) are AUTHENTICATION
 * or RATE_LIMIT by their text (401, 403, "unauthorized", 429, "rate limit", "retry after N"), else
 * TOOL_ERROR. A refused path ("Access denied - path outside allowed directories", "permission denied")
 * is TOOL_ERROR, checked first, so that it does not send a person to look at credentials. A "retry after N" (seconds unless a unit follows), in the text or as {@code retry_after}
 * or {@code retryAfter} in structured content, becomes the classification's retry-after.
 *
 * <p>Stateless and thread-safe.
 */
final class DefaultErrorClassifier implements ErrorClassifier {
    private static final Pattern AUTH = Pattern.compile(
            "\\b(401|403|unauthori[sz]ed|forbidden|invalid credentials" + "|authentication failed|invalid api key)\\b",
            Pattern.CASE_INSENSITIVE);
    /**
     * A server refusing a path or a resource, not the caller's credentials: "Access denied - path
     * outside allowed directories" (the reference filesystem server), "permission denied", "EACCES".
     */
    private static final Pattern REFUSED = Pattern.compile(
            "\\b(access denied|permission denied|eacces|eperm|outside (the )?allowed director(y|ies))\\b",
            Pattern.CASE_INSENSITIVE);

    private static final Pattern RATE = Pattern.compile(
            "\\b(429|rate.?limit(ed)?|too many requests|quota exceeded" + "|retry.after)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern RETRY_AFTER = Pattern.compile("(?i)\\b(?:retry.after|try again in)\\s*:?\\s*"
            + "(\\d+)\\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)?\\b");
    private static final Pattern TIMEOUT = Pattern.compile("\\b(timed out|time-?out)\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern GONE = Pattern.compile(
            "\\b(exited|not running|terminated|connection closed"
                    + "|cannot start|could not start|failed to start|no such file|broken pipe|stream closed)\\b",
            Pattern.CASE_INSENSITIVE);

    @Override
    public Optional<Classification> classify(CallFailure failure) {
        return Optional.of(failure.errorResult() ? ofErrorResult(failure) : ofException(failure));
    }

    @Override
    public int priority() {
        return Integer.MIN_VALUE;
    }

    private static Classification ofException(CallFailure failure) {
        String message = failure.message();
        for (Throwable t = failure.exception().orElseThrow(); t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof TimeoutExceededException) {
                return Classification.of(ErrorKind.TIMEOUT, message);
            }
            if (t instanceof RateLimitExceededException) {
                return Classification.of(ErrorKind.RATE_LIMIT, message);
            }
            if (t instanceof RequestNotSentException || t instanceof CircuitBreakerOpenException) {
                return Classification.of(ErrorKind.UNAVAILABLE, message);
            }
        }
        if (failure.jsonRpcCode().isPresent()) {
            return ofJsonRpc(failure.jsonRpcCode().get(), message);
        }
        if (TIMEOUT.matcher(message).find()) {
            return Classification.of(ErrorKind.TIMEOUT, message);
        }
        for (Throwable t = failure.exception().orElseThrow(); t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return Classification.of(ErrorKind.UNAVAILABLE, message);
            }
        }
        return Classification.of(
                GONE.matcher(message).find() ? ErrorKind.UNAVAILABLE : ErrorKind.SERVER_ERROR, message);
    }

    private static Classification ofJsonRpc(int code, String message) {
        if (REFUSED.matcher(message).find()) {
            return refused(message);
        }
        if (AUTH.matcher(message).find()) {
            return Classification.of(ErrorKind.AUTHENTICATION, message);
        }
        if (RATE.matcher(message).find()) {
            return new Classification(ErrorKind.RATE_LIMIT, message, retryAfter(message, Optional.empty()));
        }
        if (TIMEOUT.matcher(message).find()) {
            return Classification.of(ErrorKind.TIMEOUT, message);
        }
        if (GONE.matcher(message).find()) {
            return Classification.of(ErrorKind.UNAVAILABLE, message);
        }
        if (code == McpSchema.ErrorCodes.INVALID_PARAMS
                || code == McpSchema.ErrorCodes.METHOD_NOT_FOUND
                || code == McpSchema.ErrorCodes.INVALID_REQUEST) {
            return Classification.of(ErrorKind.VALIDATION, message);
        }
        return Classification.of(ErrorKind.SERVER_ERROR, message);
    }

    private static Classification ofErrorResult(CallFailure failure) {
        String text = failure.message();
        if (REFUSED.matcher(text).find()) {
            return refused(text);
        }
        if (AUTH.matcher(text).find()) {
            return Classification.of(ErrorKind.AUTHENTICATION, text);
        }
        if (RATE.matcher(text).find()
                || structuredRetryAfter(failure.structuredContent()).isPresent()) {
            return new Classification(ErrorKind.RATE_LIMIT, text, retryAfter(text, failure.structuredContent()));
        }
        return Classification.of(ErrorKind.TOOL_ERROR, text);
    }

    /** A refused path or resource: the step asks for something the server does not allow, credentials are fine. */
    private static Classification refused(String text) {
        return Classification.of(
                ErrorKind.TOOL_ERROR,
                "the server refused the path or resource the step names (not a credentials problem; check"
                        + " the step's path and the folders the server may use): " + text);
    }

    /** The wait a text or structured content asks for: "retry after 30", "Retry-After: 2 minutes". */
    static Optional<Duration> retryAfter(String text, Optional<Object> structured) {
        Matcher m = RETRY_AFTER.matcher(text);
        if (m.find()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
            return Optional.of(
                    unit.startsWith("ms") || unit.startsWith("milli")
                            ? Duration.ofMillis(n)
                            : unit.startsWith("h")
                                    ? Duration.ofHours(n)
                                    : unit.startsWith("m") ? Duration.ofMinutes(n) : Duration.ofSeconds(n));
        }
        return structuredRetryAfter(structured);
    }

    private static Optional<Duration> structuredRetryAfter(Optional<Object> structured) {
        if (structured.isPresent() && structured.get() instanceof Map<?, ?> map) {
            Object value = map.containsKey("retry_after") ? map.get("retry_after") : map.get("retryAfter");
            if (value instanceof Number seconds) {
                return Optional.of(Duration.ofMillis(Math.round(seconds.doubleValue() * 1000)));
            }
        }
        return Optional.empty();
    }
}
