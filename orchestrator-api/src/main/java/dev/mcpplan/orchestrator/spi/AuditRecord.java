package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.ErrorKind;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One audit event: a plan started or ended, a tool was called, or an alert was raised. Parameters,
 * message and response are redacted before a record is made: a record never holds a secret in clear.
 * Build one with {@link #builder}; components may be added in later versions, the builder keeps code
 * that makes records compiling.
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
 * @param status the real outcome: {@code started}, {@code success}, {@code duplicate} (the server
 *     answered that it had done the request before and did not do it again), {@code failed},
 *     {@code outcome_unknown}, {@code skipped}, {@code completed}, ...
 * @param errorKind the kind of failure, or null
 * @param message a redacted message, or null
 * @param durationMs how long it took, or 0
 * @param attempt the attempt number of a tool call (1 for the first), or 0
 * @param approver who approved the plan, or null
 * @param response what the tool answered, redacted and bounded in size (its structured content as
 *     JSON, else its text), or null when no answer came
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
        String approver,
        String response) {
    public AuditRecord {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(planId, "planId");
        Objects.requireNonNull(status, "status");
        parameters = JsonValues.copyOf(parameters);
    }

    /**
     * A builder with the required components; the others are null, empty or 0 until set.
     *
     * @param status the real outcome (see {@link #status()})
     */
    public static Builder builder(Instant timestamp, String event, String planId, String status) {
        return new Builder(timestamp, event, planId, status);
    }

    public Optional<ErrorKind> error() {
        return Optional.ofNullable(errorKind);
    }

    /** Builds an {@link AuditRecord}. Not thread-safe. */
    public static final class Builder {
        private final Instant timestamp;
        private final String event;
        private final String planId;
        private final String status;
        private String taskId;
        private int step;
        private String action;
        private String server;
        private String tool;
        private Map<String, Object> parameters = Map.of();
        private ErrorKind errorKind;
        private String message;
        private long durationMs;
        private int attempt;
        private String approver;
        private String response;

        private Builder(Instant timestamp, String event, String planId, String status) {
            this.timestamp = Objects.requireNonNull(timestamp, "timestamp");
            this.event = Objects.requireNonNull(event, "event");
            this.planId = Objects.requireNonNull(planId, "planId");
            this.status = Objects.requireNonNull(status, "status");
        }

        public Builder taskId(String taskId) {
            this.taskId = taskId;
            return this;
        }

        /** The step number, its action and where it was sent. */
        public Builder step(int step, String action, String server, String tool) {
            this.step = step;
            this.action = action;
            this.server = server;
            this.tool = tool;
            return this;
        }

        /** The redacted arguments. */
        public Builder parameters(Map<String, ?> parameters) {
            this.parameters = JsonValues.copyOf(parameters);
            return this;
        }

        /** The kind of failure (or null) and a redacted message (or null). */
        public Builder error(ErrorKind kind, String message) {
            this.errorKind = kind;
            this.message = message;
            return this;
        }

        public Builder durationMs(long durationMs) {
            this.durationMs = durationMs;
            return this;
        }

        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        public Builder approver(String approver) {
            this.approver = approver;
            return this;
        }

        /** What the tool answered, redacted and bounded. */
        public Builder response(String response) {
            this.response = response;
            return this;
        }

        public AuditRecord build() {
            return new AuditRecord(
                    timestamp,
                    event,
                    planId,
                    taskId,
                    step,
                    action,
                    server,
                    tool,
                    parameters,
                    status,
                    errorKind,
                    message,
                    durationMs,
                    attempt,
                    approver,
                    response);
        }
    }
}
