package dev.mcpplan.orchestrator.spi;

import java.util.Optional;

/**
 * Works out which action a step asks for. The orchestrator asks every detector, highest
 * {@link #priority()} first (then by {@link #id()}); the first that answers decides. A step no
 * detector recognises is an internal step: recorded as skipped, never guessed at.
 *
 * <p>Implementations must be thread-safe and side-effect free: the orchestrator may call them from
 * several threads, and again for the same step (a dry run, then the run).
 */
public interface ActionDetector {
    /** A stable, unique id, shown in dry-run reports as the detector that decided. */
    String id();

    /**
     * Higher runs first. By default 100. The built-ins: the explicit {@code action:} detector
     * ({@link Integer#MAX_VALUE}) and the user's configured phrases ({@code MAX_VALUE - 1}) before every
     * plugin, the default phrases ({@link Integer#MIN_VALUE}) after every plugin.
     */
    default int priority() {
        return 100;
    }

    /**
     * @return the action the step asks for, or empty when this detector does not recognise it
     */
    Optional<DetectedAction> detect(DetectionContext context);
}
