package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import java.util.Optional;

/**
 * The record of consumed approvals, so that one approval runs once: a plan's run begins here, and a
 * second run of the same approval is refused. An approval is known by its plan id and, when the plan
 * is signed, by its {@code approval_hash} and {@code approval_signature}: a copy of a plan under a new
 * plan id with the same signature is the same approval, and two different plans with one plan id are
 * refused as well.
 *
 * <p>A run stays open until it ends in a terminal outcome (completed, failed, needs review): a plan
 * that was rescheduled continues its run when it is taken from the queue again, and a plan resumed
 * after a crash continues its run; everything else meets a run that has ended, or one that is going on
 * elsewhere, and is refused.
 *
 * <p>Implementations must be durable and shared by every process on their store, and {@link #begin}
 * must be atomic across them: of two processes beginning the same approval, exactly one wins.
 */
public interface ApprovalLedger {
    /** How a run comes to begin. */
    enum Start {
        /** The plan was taken from the queue, or handed over in code. */
        CLAIMED,
        /** The plan's interrupted run was taken over (see {@link PlanStore#resume}). */
        RESUMED
    }

    /**
     * Consumes the plan's approval for a run beginning now, or continues the plan's open run (a
     * rescheduled plan taken from the queue again, a resumed one).
     *
     * @return empty when the run may go on; else why not, naming the earlier run (when it began, from
     *     which file, and its outcome)
     * @throws java.io.UncheckedIOException if the ledger cannot be read or written
     */
    Optional<String> begin(Plan plan, Start start);

    /**
     * Records how a run that {@link #begin} let go on ended. A rescheduled run stays open for the same
     * plan; any other outcome closes it for good.
     *
     * @throws java.io.UncheckedIOException if the ledger cannot be written
     */
    void end(Plan plan, PlanResult result);
}
