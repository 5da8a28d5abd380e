package dev.mcpplan.orchestrator;

/**
 * A plan whose approval does not cover what it asks to do: not approved, expired, an action outside
 * {@code approved_actions}, or content changed since it was approved. Nothing of the plan runs.
 */
public class ApprovalException extends OrchestratorException {
    private static final long serialVersionUID = 1L;

    public ApprovalException(String message) {
        super(message);
    }
}
