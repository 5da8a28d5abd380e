package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.ServerHealth;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code health}: starts each configured server, lists its tools and pings it. */
@Command(
        name = "health",
        mixinStandardHelpOptions = true,
        description = "Starts each configured server and shows its tools and ping time.")
final class HealthCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (McpPlanOrchestrator orchestrator = config.builder().build()) {
            List<ServerHealth> report = orchestrator.health();
            if (report.isEmpty()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("error: no servers are configured: " + config.configFiles
                        + " define no (enabled) server under \"mcpServers\"");
                err.flush();
                return 2;
            }
            for (ServerHealth h : report) {
                out.println(
                        h.started()
                                ? String.format(
                                        "%-20s %-6s up    ping %5.1f ms  tools: %s",
                                        h.server(),
                                        h.type(),
                                        h.ping().orElseThrow().toNanos() / 1e6,
                                        String.join(", ", h.tools()))
                                : String.format(
                                        "%-20s %-6s DOWN  %s",
                                        h.server(), h.type(), h.error().orElse("")));
            }
            out.flush();
            return report.stream().allMatch(ServerHealth::started) ? 0 : 1;
        }
    }
}
