package dev.mcpplan.orchestrator.spi;

/**
 * Thrown by a {@link PlanStore} (and its {@link ApprovalLedger}) when another process has taken over a
 * plan this process was running: its lease ran out, so the store no longer takes this process's
 * writes for it. The orchestrator stops working on the plan at once: no further step is called, and
 * nothing more is recorded for it by this process.
 */
public class PlanTakenOverException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message which plan, and who holds it now */
    public PlanTakenOverException(String message) {
        super(message);
    }
}
