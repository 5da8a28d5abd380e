package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code check PLAN.md}: a dry run, printed as a table. */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        description = "Dry run: shows what each step would do and every problem, without calling any tool.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PLAN.md", description = "the plan file")
    Path plan;

    @Mixin
    ConfigOptions config;

    @Option(names = "--offline", description = "do not start servers to read their tool schemas")
    boolean offline;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (McpPlanOrchestrator orchestrator =
                config.builder().startServersForCheck(!offline).build()) {
            CheckReport report = orchestrator.check(orchestrator.parse(plan));
            PrintWriter out = spec.commandLine().getOut();
            // the plan's title and step texts are as written, and may hold a secret
            out.print(orchestrator.redact(new CheckTable(orchestrator::redact).render(report)));
            out.flush();
            return report.ok() ? 0 : 1;
        }
    }
}
