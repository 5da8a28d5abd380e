package dev.mcpplan.orchestrator;

/**
 * What became of one step in a run.
 */
public enum StepStatus {
    /** The tool ran and returned a result that is not an error. */
    SUCCEEDED,
    /** The call failed or the tool returned an error result. */
    FAILED,
    /** No detector recognised the step: an internal step, recorded and not run. */
    SKIPPED,
    /** The step was checked off before the run, or finished before a restart. */
    ALREADY_DONE,
    /** The step did not run because an earlier step failed or the plan stopped. */
    NOT_RUN,
    /** The request may have reached the server but no answer came: a person must check. */
    OUTCOME_UNKNOWN
}
