package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;

/**
 * Hears every state change of every plan: for metrics, a UI, or alerts. Every method has an empty
 * default body; implement the ones you need.
 *
 * <p>Called on the thread that runs the plan (progress excepted); implementations must be thread-safe and quick. An
 * exception thrown here is logged and does not affect the plan.
 */
public interface ExecutionListener {
    default void planStarted(Plan plan) {}

    default void stepStarted(Plan plan, Step step, int attempt) {}

    /**
     * A running step's tool reported progress ({@code notifications/progress}). Called on a thread of
     * the transport, possibly while the plan's thread waits for the tool; progress also keeps the call
     * from timing out.
     *
     * @param progress how far the tool has come, growing with each report
     * @param total the amount of work in all, when the tool knows it
     * @param message what the tool is doing, when it says, with secrets masked
     */
    default void stepProgress(Plan plan, Step step, double progress, Double total, String message) {}

    default void stepFinished(Plan plan, Step step, StepResult result) {}

    default void planFinished(Plan plan, PlanResult result) {}

    /** A failure a person must hear of at once: an authentication or approval error. */
    default void alert(Plan plan, ErrorKind kind, String message) {}
}
