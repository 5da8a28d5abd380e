package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code execute PLAN.md}: runs one plan file where it lies, without moving it through a vault. */
@Command(
        name = "execute",
        mixinStandardHelpOptions = true,
        description = "Runs one plan file (approval check and preflight first) and prints what happened.")
final class ExecuteCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PLAN.md", description = "the plan file")
    Path plan;

    @Mixin
    ConfigOptions config;

    @Option(names = "--audit-log", paramLabel = "DIR", description = "write the audit log (JSON lines) here")
    Path auditLog;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        McpPlanOrchestrator.Builder builder = config.builder();
        if (auditLog != null) {
            builder.auditLog(auditLog);
        }
        try (McpPlanOrchestrator orchestrator = builder.build()) {
            PlanResult result = orchestrator.execute(orchestrator.parse(plan));
            ResultPrinter.print(spec.commandLine().getOut(), result, orchestrator::redact);
            return result.completed() ? 0 : 1;
        }
    }
}
