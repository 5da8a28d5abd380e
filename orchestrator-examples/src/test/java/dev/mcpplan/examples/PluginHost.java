package dev.mcpplan.examples;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepCheck;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;

/** A host that knows nothing of any plugin: it prints which detector recognised a meeting step. */
public final class PluginHost {
    private PluginHost() {}

    public static void main(String[] args) {
        Plan plan = Plan.builder("p")
                .status(PlanStatus.APPROVED)
                .step(Step.builder(1, "Schedule a meeting with Alice on 2026-03-02 at 10:00 about Q4")
                        .build())
                .build();
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .startServersForCheck(false)
                .discoverPlugins(PluginHost.class.getClassLoader())
                .build()) {
            StepCheck check = orchestrator.check(plan).steps().get(0);
            System.out.println(check.action().orElse("internal") + " by "
                    + check.detector().orElse("nobody") + " " + check.arguments());
        }
    }
}
