/**
 * The public API of the MCP Plan Orchestrator: the plan model, results, errors and the
 * {@link dev.mcpplan.orchestrator.PlanOrchestrator} interface; plugin interfaces live in
 * {@code dev.mcpplan.orchestrator.spi}.
 */
module dev.mcpplan.orchestrator.api {
    requires transitive io.modelcontextprotocol.sdk.mcp.core;
    requires org.slf4j;

    exports dev.mcpplan.orchestrator;
    exports dev.mcpplan.orchestrator.spi;

    uses dev.mcpplan.orchestrator.spi.ActionDetector;
    uses dev.mcpplan.orchestrator.spi.ServerMapping;
    uses dev.mcpplan.orchestrator.spi.TransportProvider;
    uses dev.mcpplan.orchestrator.spi.ExecutionListener;
    uses dev.mcpplan.orchestrator.spi.AuditSink;
    uses dev.mcpplan.orchestrator.spi.ErrorClassifier;
}
