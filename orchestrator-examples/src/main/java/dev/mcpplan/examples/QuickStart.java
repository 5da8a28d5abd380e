package dev.mcpplan.examples;

import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.nio.file.Path;

/**
 * The README's quick start, as compiled code: check a plan, then run it. A test runs it against the
 * example servers.
 */
public final class QuickStart {
    private QuickStart() {}

    public static PlanResult run(Path config, Path planFile, Path logs) {
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(config) // Claude Desktop "mcpServers" file
                .discoverPlugins(QuickStart.class.getClassLoader()) // detectors, transports, ... on the class path
                .auditLog(logs) // one JSON line per call, secrets redacted
                .build()) {
            Plan plan = orchestrator.parse(planFile);
            CheckReport report = orchestrator.check(plan); // dry run: no tool is called
            report.problems().forEach(System.err::println);
            return orchestrator.execute(plan); // approval, preflight, then each step
        }
    }
}
