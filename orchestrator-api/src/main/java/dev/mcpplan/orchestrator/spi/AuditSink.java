package dev.mcpplan.orchestrator.spi;

/**
 * Receives one {@link AuditRecord} per tool call and per plan start and end, parameters already
 * redacted. The built-in sinks write the vault's {@code Logs/YYYY-MM-DD.jsonl} and the SLF4J logger
 * {@code mcp.orchestrator}.
 *
 * <p>Implementations must be thread-safe. A sink that throws is logged; the plan goes on.
 */
public interface AuditSink {
    void record(AuditRecord record);
}
