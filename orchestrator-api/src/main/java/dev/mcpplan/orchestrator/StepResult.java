package dev.mcpplan.orchestrator;

import java.time.Duration;
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
                && Objects.equals(action, r.action)
                && Objects.equals(server, r.server)
                && Objects.equals(tool, r.tool)
                && Objects.equals(content, r.content)
                && duration.equals(r.duration)
                && errorKind == r.errorKind
                && Objects.equals(message, r.message);
    }

    @Override
    public int hashCode() {
        return Objects.hash(step, status, action, server, tool, content, duration, errorKind, message, attempts);
    }

    @Override
    public String toString() {
        return "StepResult{step " + step + " " + status
                + (action == null ? "" : " " + action + " -> " + server + "/" + tool)
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
