package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.Route;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the engine worked out for one step before running anything: the action and who detected it,
 * the route, the tool's arguments, and the problems in the way.
 */
record StepPlan(
        Step step,
        Optional<String> detector,
        Optional<DetectedAction> action,
        Optional<Route> route,
        Map<String, Object> arguments,
        List<Problem> problems) {

    StepPlan {
        problems = List.copyOf(problems);
    }

    boolean internal() {
        return action.isEmpty();
    }
}
