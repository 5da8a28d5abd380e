package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import java.nio.file.Path;
import java.util.List;

/**
 * An orchestrator process that a test kills at random moments. Arguments: vault, settings file, the
 * fault server's log. It processes plans (interrupted ones first) until none is left, then exits 0.
 */
public final class CrashWorker {
    private CrashWorker() {}

    public static void main(String[] args) {
        Path vault = Path.of(args[0]);
        try (VaultPlanStore store = VaultPlanStore.open(vault);
                McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                        .config(Path.of(args[1]))
                        .server(Servers.faultServer("fault", "--log", args[2]))
                        .discoverPlugins(CrashWorker.class.getClassLoader())
                        .auditLog(store.logsDir())
                        .build()) {
            List<PlanResult> results;
            do {
                results = orchestrator.processReady(store);
            } while (!results.isEmpty());
        }
    }
}
