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
    private final List<Problem> warnings;
    private final int reschedules;
    private final Instant rescheduledSince;

    private PlanResult(Builder b) {
        this.planId = b.planId;
        this.status = b.status;
        this.steps = List.copyOf(b.steps);
        this.startedAt = b.startedAt;
        this.finishedAt = b.finishedAt;
        this.errorKind = b.errorKind;
        this.error = b.error;
        this.retryAfter = b.retryAfter;
        this.warnings = List.copyOf(b.warnings);
        this.reschedules = b.reschedules;
        this.rescheduledSince = b.rescheduledSince;
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
        b.warnings.addAll(warnings);
        b.reschedules = reschedules;
        b.rescheduledSince = rescheduledSince;
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

    /**
     * What did not stop the plan but a person should know: steps no detector recognised (skipped as
     * internal), for example, which is also what a missing plugin looks like.
     */
    public List<Problem> warnings() {
        return warnings;
    }

    /**
     * How often the plan has gone back to the queue, this time included: 0 for a plan that was never
     * rescheduled. A store keeps it with the plan (front matter {@code reschedules}).
     */
    public int reschedules() {
        return reschedules;
    }

    /** When the plan was first rescheduled, for a plan that has been. */
    public Optional<Instant> rescheduledSince() {
        return Optional.ofNullable(rescheduledSince);
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
                && Objects.equals(retryAfter, r.retryAfter)
                && warnings.equals(r.warnings)
                && reschedules == r.reschedules
                && Objects.equals(rescheduledSince, r.rescheduledSince);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                planId,
                status,
                steps,
                startedAt,
                finishedAt,
                errorKind,
                error,
                retryAfter,
                warnings,
                reschedules,
                rescheduledSince);
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
        private final List<Problem> warnings = new ArrayList<>();
        private int reschedules;
        private Instant rescheduledSince;

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

        public Builder warnings(List<Problem> warnings) {
            this.warnings.clear();
            warnings.forEach(w -> this.warnings.add(Objects.requireNonNull(w, "warning")));
            return this;
        }

        /**
         * @throws IllegalArgumentException if {@code count} is negative
         */
        public Builder reschedules(int count, Instant since) {
            if (count < 0) {
                throw new IllegalArgumentException("reschedules must be 0 or more: " + count);
            }
            this.reschedules = count;
            this.rescheduledSince = since;
            return this;
        }

        public PlanResult build() {
            return new PlanResult(this);
        }
    }
}
