package dev.mcpplan.orchestrator.spi;

import java.util.Optional;

/**
 * Decides what kind of error a failed tool call is: the kind decides what the orchestrator does next
 * (fail the plan, retry, reschedule, or ask a person). Classifiers form a chain: the orchestrator asks
 * each in priority order, highest first, and takes the first answer; the built-in classifier (JSON-RPC
 * codes, transport failures, error texts such as 401, "unauthorized", 429, "rate limit", "retry after
 * N") answers last, for everything.
 *
 * <p>Implement one to read the errors of a particular server: its own error codes, its structured
 * content. Register it with the builder or in
 * {@code META-INF/services/dev.mcpplan.orchestrator.spi.ErrorClassifier}. Implementations must be
 * thread-safe and must not throw; an exception is logged and the next classifier asked.
 */
public interface ErrorClassifier {
    /** The classification, or empty to leave the failure to the next classifier. */
    Optional<Classification> classify(CallFailure failure);

    /** Higher asks first. The built-in classifier has {@link Integer#MIN_VALUE}. */
    default int priority() {
        return 0;
    }
}
