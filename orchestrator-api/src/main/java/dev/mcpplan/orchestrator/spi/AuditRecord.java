package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.ErrorKind;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One audit event: a plan started or ended, a tool was called, or an alert was raised. Parameters are
 * redacted before a record is made: a record never holds a secret in clear.
 *
 * @param timestamp when it happened
 * @param event {@code plan_started}, {@code tool_call}, {@code plan_finished} or {@code alert}
 * @param planId the plan
 * @param taskId the task the plan answers, or null
 * @param step the 1-based step number, or 0 for a plan event
 * @param action the action type, or null
 * @param server the server, or null
 * @param tool the tool, or null
 * @param parameters the redacted arguments; empty for plan events
 * @param status {@code started}, {@code success}, {@code failed}, {@code skipped}, {@code completed}, ...
 * @param errorKind the kind of failure, or null
 * @param message a redacted message, or null
 * @param durationMs how long it took, or 0
 * @param attempt the attempt number of a tool call (1 for the first), or 0
 * @param approver who approved the plan, or null
 */
public record AuditRecord(
        Instant timestamp,
        String event,
        String planId,
        String taskId,
        int step,
        String action,
        String server,
        String tool,
        Map<String, Object> parameters,
        String status,
        ErrorKind errorKind,
        String message,
        long durationMs,
        int attempt,
        String approver) {
    public AuditRecord {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(planId, "planId");
        Objects.requireNonNull(status, "status");
        parameters = JsonValues.copyOf(parameters);
    }

    public Optional<ErrorKind> error() {
        return Optional.ofNullable(errorKind);
    }
}
