package dev.mcpplan.orchestrator.jdbc;

import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One orchestrator instance on a JDBC store, as a process of its own, for the tests that kill and pause
 * instances: {@code URL CONFIG INSTANCE LEASE_MS STATE_DIR}. It works the queue until the file
 * {@code STATE_DIR/stop} appears, writing the audit chain into the store's database.
 */
public final class StoreWorker {
    private StoreWorker() {}

    public static void main(String[] args) throws InterruptedException {
        Path state = Path.of(args[4]);
        try (JdbcPlanStore store = JdbcPlanStore.builder(args[0])
                        .user("postgres")
                        .instance(args[2])
                        .lease(Duration.ofMillis(Long.parseLong(args[3])))
                        .build();
                McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                        .config(Path.of(args[1]))
                        .discoverPlugins(StoreWorker.class.getClassLoader())
                        .stateDirectory(state)
                        .auditSink(new JdbcAuditSink(store, null))
                        .build()) {
            while (!Files.exists(state.resolve("stop"))) {
                orchestrator.processReady(store);
                store.awaitChange(Duration.ofMillis(200));
            }
        }
    }
}
