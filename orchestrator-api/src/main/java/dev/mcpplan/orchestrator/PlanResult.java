package dev.mcpplan.orchestrator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What became of a plan: its final status, each step's result, and for a plan that did not complete,
 * the error that stopped it.
 *
 * <p>Immutable and thread-safe. Build with {@link #builder(String, PlanStatus)}.
 */
public final class PlanResult {
    private final String planId;
    private final PlanStatus status;
    private final List<StepResult> steps;
    private final Instant startedAt;
    private final Instant finishedAt;
    private final ErrorKind errorKind;
    private final String error;
    private final Instant retryAfter;

    private PlanResult(Builder b) {
        this.planId = b.planId;
        this.status = b.status;
        this.steps = List.copyOf(b.steps);
        this.startedAt = b.startedAt;
        this.finishedAt = b.finishedAt;
        this.errorKind = b.errorKind;
        this.error = b.error;
        this.retryAfter = b.retryAfter;
    }

    public static Builder builder(String planId, PlanStatus status) {
        return new Builder(planId, status);
    }

    public Builder toBuilder() {
        Builder b = new Builder(planId, status);
        b.steps.addAll(steps);
        b.startedAt = startedAt;
        b.finishedAt = finishedAt;
        b.errorKind = errorKind;
        b.error = error;
        b.retryAfter = retryAfter;
        return b;
    }

    public String planId() {
        return planId;
    }

    /** {@code COMPLETED}, {@code FAILED}, {@code NEEDS_REVIEW} or {@code RETRY_SCHEDULED}; {@code IN_PROGRESS} while running. */
    public PlanStatus status() {
        return status;
    }

    /** One result per step, in step order. */
    public List<StepResult> steps() {
        return steps;
    }

    public Optional<Instant> startedAt() {
        return Optional.ofNullable(startedAt);
    }

    public Optional<Instant> finishedAt() {
        return Optional.ofNullable(finishedAt);
    }

    public Optional<ErrorKind> errorKind() {
        return Optional.ofNullable(errorKind);
    }

    /** Why the plan did not complete, naming the step. */
    public Optional<String> error() {
        return Optional.ofNullable(error);
    }

    /** For a rescheduled plan: not before this time. */
    public Optional<Instant> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    public boolean completed() {
        return status == PlanStatus.COMPLETED;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PlanResult r
                && planId.equals(r.planId)
                && status == r.status
                && steps.equals(r.steps)
                && Objects.equals(startedAt, r.startedAt)
                && Objects.equals(finishedAt, r.finishedAt)
                && errorKind == r.errorKind
                && Objects.equals(error, r.error)
                && Objects.equals(retryAfter, r.retryAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(planId, status, steps, startedAt, finishedAt, errorKind, error, retryAfter);
    }

    @Override
    public String toString() {
        return "PlanResult{" + planId + " " + status + (error == null ? "" : ": " + error) + ", steps=" + steps + "}";
    }

    /** Builds a {@link PlanResult}. Not thread-safe. */
    public static final class Builder {
        private final String planId;
        private PlanStatus status;
        private final List<StepResult> steps = new ArrayList<>();
        private Instant startedAt;
        private Instant finishedAt;
        private ErrorKind errorKind;
        private String error;
        private Instant retryAfter;

        private Builder(String planId, PlanStatus status) {
            this.planId = Objects.requireNonNull(planId, "planId");
            this.status = Objects.requireNonNull(status, "status");
        }

        public Builder status(PlanStatus status) {
            this.status = Objects.requireNonNull(status, "status");
            return this;
        }

        public Builder step(StepResult step) {
            steps.add(Objects.requireNonNull(step, "step"));
            return this;
        }

        public Builder steps(List<StepResult> steps) {
            this.steps.clear();
            steps.forEach(this::step);
            return this;
        }

        public Builder startedAt(Instant startedAt) {
            this.startedAt = startedAt;
            return this;
        }

        public Builder finishedAt(Instant finishedAt) {
            this.finishedAt = finishedAt;
            return this;
        }

        public Builder error(ErrorKind kind, String error) {
            this.errorKind = kind;
            this.error = error;
            return this;
        }

        public Builder retryAfter(Instant retryAfter) {
            this.retryAfter = retryAfter;
            return this;
        }

        public PlanResult build() {
            return new PlanResult(this);
        }
    }
}
