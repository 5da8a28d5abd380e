package dev.mcpplan.orchestrator;

import dev.mcpplan.orchestrator.spi.JsonValues;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of one step: its status, where it went, what the tool answered, how long it took and,
 * for a failure, what kind of error it was.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(int, StepStatus)}.
 */
public final class StepResult {
    private final int step;
    private final StepStatus status;
    private final String action;
    private final String server;
    private final String tool;
    private final String content;
    private final Map<String, Object> structuredContent;
    private final String summary;
    private final boolean duplicate;
    private final Duration duration;
    private final ErrorKind errorKind;
    private final String message;
    private final int attempts;

    private StepResult(Builder b) {
        this.step = b.step;
        this.status = b.status;
        this.action = b.action;
        this.server = b.server;
        this.tool = b.tool;
        this.content = b.content;
        this.structuredContent = b.structuredContent;
        this.summary = b.summary;
        this.duplicate = b.duplicate;
        this.duration = b.duration;
        this.errorKind = b.errorKind;
        this.message = b.message;
        this.attempts = b.attempts;
    }

    /**
     * @param step the 1-based step number
     * @param status what became of it
     */
    public static Builder builder(int step, StepStatus status) {
        return new Builder(step, status);
    }

    public Builder toBuilder() {
        Builder b = new Builder(step, status);
        b.action = action;
        b.server = server;
        b.tool = tool;
        b.content = content;
        b.structuredContent = structuredContent;
        b.summary = summary;
        b.duplicate = duplicate;
        b.duration = duration;
        b.errorKind = errorKind;
        b.message = message;
        b.attempts = attempts;
        return b;
    }

    /** The 1-based step number. */
    public int step() {
        return step;
    }

    public StepStatus status() {
        return status;
    }

    public Optional<String> action() {
        return Optional.ofNullable(action);
    }

    public Optional<String> server() {
        return Optional.ofNullable(server);
    }

    public Optional<String> tool() {
        return Optional.ofNullable(tool);
    }

    /** The text of the tool's result content, joined; empty when the step did not call a tool. */
    public Optional<String> content() {
        return Optional.ofNullable(content);
    }

    /** The tool result's structured content, when it has one. */
    public Optional<Map<String, Object>> structuredContent() {
        return Optional.ofNullable(structuredContent);
    }

    /**
     * A short form of what the tool answered, for logs: one line, bounded in size, redacted. Empty when
     * the step did not call a tool or the answer was empty.
     */
    public Optional<String> summary() {
        return Optional.ofNullable(summary);
    }

    /**
     * Whether the server answered that it had done this request before (it knew the idempotency key)
     * and did not do it again: the step counts as done, but not by this call.
     */
    public boolean duplicate() {
        return duplicate;
    }

    /** Time spent on the step, all attempts together. */
    public Duration duration() {
        return duration;
    }

    public Optional<ErrorKind> errorKind() {
        return Optional.ofNullable(errorKind);
    }

    /** What went wrong, or why the step was skipped. */
    public Optional<String> message() {
        return Optional.ofNullable(message);
    }

    /** How many calls were made: 0 for a step that made none. */
    public int attempts() {
        return attempts;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepResult r
                && step == r.step
                && status == r.status
                && attempts == r.attempts
                && duplicate == r.duplicate
                && Objects.equals(action, r.action)
                && Objects.equals(server, r.server)
                && Objects.equals(tool, r.tool)
                && Objects.equals(content, r.content)
                && Objects.equals(structuredContent, r.structuredContent)
                && Objects.equals(summary, r.summary)
                && duration.equals(r.duration)
                && errorKind == r.errorKind
                && Objects.equals(message, r.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                step,
                status,
                action,
                server,
                tool,
                content,
                structuredContent,
                summary,
                duplicate,
                duration,
                errorKind,
                message,
                attempts);
    }

    @Override
    public String toString() {
        return "StepResult{step " + step + " " + status
                + (action == null ? "" : " " + action + " -> " + server + "/" + tool)
                + (duplicate ? " duplicate" : "")
                + (errorKind == null ? "" : " " + errorKind)
                + (message == null ? "" : ": " + message) + "}";
    }

    /** Builds a {@link StepResult}. Not thread-safe. */
    public static final class Builder {
        private final int step;
        private StepStatus status;
        private String action;
        private String server;
        private String tool;
        private String content;
        private Map<String, Object> structuredContent;
        private String summary;
        private boolean duplicate;
        private Duration duration = Duration.ZERO;
        private ErrorKind errorKind;
        private String message;
        private int attempts;

        private Builder(int step, StepStatus status) {
            if (step < 1) {
                throw new IllegalArgumentException("step must be 1 or more, was " + step);
            }
            this.step = step;
            this.status = Objects.requireNonNull(status, "status");
        }

        public Builder status(StepStatus status) {
            this.status = Objects.requireNonNull(status, "status");
            return this;
        }

        public Builder action(String action) {
            this.action = action;
            return this;
        }

        public Builder route(String server, String tool) {
            this.server = server;
            this.tool = tool;
            return this;
        }

        public Builder content(String content) {
            this.content = content;
            return this;
        }

        /** The tool result's structured content, or null. */
        public Builder structuredContent(Map<String, ?> structuredContent) {
            this.structuredContent = structuredContent == null ? null : JsonValues.copyOf(structuredContent);
            return this;
        }

        /** A short, one-line, redacted form of the answer, or null. */
        public Builder summary(String summary) {
            this.summary = summary;
            return this;
        }

        /** Whether the server answered that the request was a duplicate and was not done again. */
        public Builder duplicate(boolean duplicate) {
            this.duplicate = duplicate;
            return this;
        }

        public Builder duration(Duration duration) {
            this.duration = Objects.requireNonNull(duration, "duration");
            return this;
        }

        public Builder error(ErrorKind kind, String message) {
            this.errorKind = kind;
            this.message = message;
            return this;
        }

        public Builder message(String message) {
            this.message = message;
            return this;
        }

        public Builder attempts(int attempts) {
            if (attempts < 0) {
                throw new IllegalArgumentException("attempts must not be negative, was " + attempts);
            }
            this.attempts = attempts;
            return this;
        }

        public StepResult build() {
            return new StepResult(this);
        }
    }
}
