package dev.mcpplan.examples;

import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.jdbc.JdbcAuditSink;
import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One of several instances sharing one PostgreSQL queue: {@code SharedQueue JDBC_URL mcp.json [PLAN.md...]}
 * submits the plans given, then works the queue with every other instance on the same database until
 * it is stopped. The password comes from {@code PGPASSWORD}, the audit chain's key from
 * {@code MCP_APPROVAL_KEY}.
 */
public final class SharedQueue {
    private SharedQueue() {}

    public static void main(String[] args) throws InterruptedException {
        String key = System.getenv("MCP_APPROVAL_KEY");
        byte[] signingKey = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        try (JdbcPlanStore store = JdbcPlanStore.builder(args[0])
                        .user(System.getenv().getOrDefault("PGUSER", "orchestrator"))
                        .password(System.getenv("PGPASSWORD")) // never logged; the store's id() drops it too
                        .lease(Duration.ofSeconds(30))
                        .build();
                McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                        .config(Path.of(args[1]))
                        .auditSink(new JdbcAuditSink(store, signingKey)) // one hash chain in the database
                        .build()) {
            for (int i = 2; i < args.length; i++) {
                store.submit(Path.of(args[i])); // status: approved; its plan id is its key
            }
            while (!Thread.currentThread().isInterrupted()) {
                orchestrator.processReady(store); // this instance's share of the queue
                store.awaitChange(Duration.ofSeconds(5));
            }
        }
    }
}
