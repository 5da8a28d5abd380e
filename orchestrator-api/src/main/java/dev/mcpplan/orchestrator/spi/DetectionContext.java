package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;

/**
 * What a detector may look at: the step, and the plan it belongs to.
 */
public interface DetectionContext {
    Plan plan();

    Step step();

    /** A context for one step of a plan, for tests of a detector and for hosts that detect by hand. */
    static DetectionContext of(Plan plan, Step step) {
        java.util.Objects.requireNonNull(plan, "plan");
        java.util.Objects.requireNonNull(step, "step");
        return new DetectionContext() {
            @Override
            public Plan plan() {
                return plan;
            }

            @Override
            public Step step() {
                return step;
            }
        };
    }
}
