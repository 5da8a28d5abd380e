package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where plans wait, run and end: the vault folders by default, a database table in another store.
 *
 * <p>Implementations must be safe for several orchestrator processes sharing one store: a claim is
 * atomic, so a plan is claimed by at most one of them.
 */
public interface PlanStore {
    /** A stable id, for messages. */
    String id();

    /** Keys of the plans ready to run now, in the order they should run. */
    List<String> ready();

    /**
     * Claims a ready plan, atomically. A plan that cannot be read is moved to the failed place, intact,
     * with the reason recorded, and the {@link dev.mcpplan.orchestrator.PlanFormatException} is thrown.
     *
     * @return the claimed plan, or empty when another process claimed it first
     */
    Optional<Plan> claim(String key);

    /**
     * The plan as the store holds it now, read again, so that the orchestrator can see, before each
     * step, whether it changed since it was claimed. {@code plan} itself when the store knows it has not
     * changed (then only what time can change is checked again, and a long plan costs no more per step
     * than a short one). Empty when the store cannot tell (the default); then the plan as claimed is
     * checked.
     *
     * @throws dev.mcpplan.orchestrator.PlanFormatException if the plan can no longer be read
     */
    default Optional<Plan> current(Plan plan) {
        return Optional.empty();
    }

    /**
     * Keys of the plans whose run was interrupted (the process running them died), to be resumed with
     * {@link #resume}. None by default: a store without a journal cannot tell.
     */
    default List<String> interrupted() {
        return List.of();
    }

    /**
     * Takes over an interrupted run, atomically as {@link #claim} does.
     *
     * @return the plan, its finished steps checked; empty when another process took it over first or
     *     the run turned out to be going on
     */
    default Optional<Plan> resume(String key) {
        return Optional.empty();
    }

    /**
     * The steps of a resumed plan that started in the interrupted run but did not succeed: their
     * request may have reached the server. The orchestrator repeats such a step only if that is safe.
     */
    default Set<Integer> interruptedSteps(Plan plan) {
        return Set.of();
    }

    /**
     * The store's record of consumed approvals, shared by every process on the store. Empty by default:
     * then the orchestrator's own ledger, in its state directory, stands in (it protects the processes
     * of one machine only).
     */
    default Optional<ApprovalLedger> ledger() {
        return Optional.empty();
    }

    /**
     * Called before each attempt of a step's call: a store with a journal records it now, and durably
     * unless {@code safeToRepeat}. A step is safe to repeat when its tool is idempotent or read-only: a
     * record of it lost in a crash only makes the next run call it again, so a store may skip forcing
     * that record (and the step's result) to disk.
     */
    default void stepStarted(Plan plan, Step step, boolean safeToRepeat) {}

    /** Called after each step, with its result: the store records progress (checkbox, log line). */
    void stepFinished(Plan plan, Step step, StepResult result);

    /**
     * Ends the plan's run: completed to done, failed to failed, rescheduled back to the queue, needing
     * review to wherever a person looks.
     */
    void finish(Plan plan, PlanResult result);

    /**
     * Waits until a new plan may be ready, or until the time-out passes.
     *
     * @throws InterruptedException if the waiting thread is interrupted
     */
    default void awaitChange(Duration timeout) throws InterruptedException {
        Thread.sleep(timeout.toMillis());
    }
}
