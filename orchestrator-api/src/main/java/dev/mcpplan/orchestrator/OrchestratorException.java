package dev.mcpplan.orchestrator;

/**
 * The root of every exception this library throws at its users. Unchecked: the subclasses say what went
 * wrong ({@link PlanFormatException}, {@link ConfigurationException}, {@link ApprovalException}, and
 * for transports {@link dev.mcpplan.orchestrator.spi.RequestNotSentException}).
 *
 * <p>Exactly these do not descend from it, because they report a mistake in the calling code rather
 * than in a plan, a file or a server: {@link NullPointerException} for a null argument and
 * {@link IllegalArgumentException} for an invalid one (a builder given a negative count, for example),
 * and {@link IllegalStateException} for use of an orchestrator after {@code close()}; and
 * {@link java.io.UncheckedIOException} from core's file helpers ({@code VaultPlanStore.open},
 * {@code AuditLog.verify}, {@code PlanApprover.approve}) when the file system itself fails, with the
 * {@link java.io.IOException} as its cause, since no orchestrator rule is involved. Failures of a plan
 * are not thrown at all: {@code execute} reports them in its {@link PlanResult}.
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
