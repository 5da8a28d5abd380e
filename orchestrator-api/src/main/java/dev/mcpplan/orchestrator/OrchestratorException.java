package dev.mcpplan.orchestrator;

/**
 * The root of every exception this library throws. Unchecked: the subclasses say what went wrong
 * ({@link PlanFormatException}, {@link ConfigurationException}, {@link ApprovalException}).
 */
public abstract class OrchestratorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    protected OrchestratorException(String message) {
        super(message);
    }

    protected OrchestratorException(String message, Throwable cause) {
        super(message, cause);
    }
}
