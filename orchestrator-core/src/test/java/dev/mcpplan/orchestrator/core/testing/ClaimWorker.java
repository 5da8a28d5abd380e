package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One orchestrator process of several on the same vault. Arguments: vault, settings file, record log,
 * this worker's name, the names of all workers. It starts its server, says it is ready (a file
 * {@code ready-NAME} in the vault), waits until every worker is, then processes plans until none is left
 * and prints {@code RAN n}.
 */
public final class ClaimWorker {
    private ClaimWorker() {}

    /** The command line of worker {@code name}, one of {@code a} and {@code b}, not yet started. */
    public static ProcessBuilder command(Path vault, Path settings, Path recordLog, String name) {
        return new ProcessBuilder(
                Servers.java(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                ClaimWorker.class.getName(),
                vault.toString(),
                settings.toString(),
                recordLog.toString(),
                name,
                "a",
                "b");
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        Path vault = Path.of(args[0]);
        int ran = 0;
        try (VaultPlanStore store = VaultPlanStore.open(vault);
                McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                        .config(Path.of(args[1]))
                        .server(Servers.faultServer("fault", "--log", args[2]))
                        .discoverPlugins(ClaimWorker.class.getClassLoader())
                        .auditLog(store.logsDir())
                        .build()) {
            orchestrator.health();
            Files.writeString(vault.resolve("ready-" + args[3]), "");
            for (String worker : List.of(args).subList(4, args.length)) {
                while (!Files.exists(vault.resolve("ready-" + worker))) {
                    Thread.sleep(10);
                }
            }
            List<PlanResult> results;
            do {
                results = orchestrator.processReady(store);
                ran += results.size();
            } while (!results.isEmpty());
        }
        System.out.println("RAN " + ran);
    }
}
