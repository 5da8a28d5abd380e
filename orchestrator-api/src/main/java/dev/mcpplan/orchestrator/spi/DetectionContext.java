package dev.mcpplan.orchestrator.spi;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;

/**
 * What a detector may look at: the step, and the plan it belongs to.
 */
public interface DetectionContext {
    Plan plan();

    Step step();
}
