package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.stdio.ProcessTable;
import java.util.stream.Collectors;

/**
 * A host that runs a plan against a wrapped server, prints the pids of every process it started, and
 * exits without closing its orchestrator: only the JVM shutdown can end them.
 */
public final class ShutdownHost {
    private ShutdownHost() {}

    public static void main(String[] args) {
        McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .server(Servers.wrappedFaultServer("fault"))
                .mapping(Servers.everythingTo("fault"))
                .discoverPlugins(ShutdownHost.class.getClassLoader())
                .build();
        if (!orchestrator.execute(Servers.echoPlan()).completed()) {
            System.exit(2);
        }
        System.out.println("TREE "
                + ProcessTable.descendantsOfThisJvm().stream()
                        .map(String::valueOf)
                        .collect(Collectors.joining(" ")));
        System.out.flush();
        System.exit(0);
    }
}
