package dev.mcpplan.orchestrator.core.internal.detect;

import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import java.util.Optional;

/**
 * Takes the action a step names with {@code action:} (or an approval request names in its front
 * matter), with the step's parameters as written. The highest priority: an explicit action always wins.
 *
 * <p>Thread-safe: stateless.
 */
public final class ExplicitActionDetector implements ActionDetector {
    public static final String ID = "explicit";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return Integer.MAX_VALUE;
    }

    @Override
    public Optional<DetectedAction> detect(DetectionContext context) {
        return context.step()
                .action()
                .map(String::trim)
                .filter(a -> !a.isEmpty())
                .map(a -> new DetectedAction(a, context.step().parameters()));
    }
}
