/**
 * The orchestrator engine. Hosts use {@link dev.mcpplan.orchestrator.core.McpPlanOrchestrator} and
 * {@link dev.mcpplan.orchestrator.core.VaultPlanStore}; everything under {@code .internal} is not API.
 */
module dev.mcpplan.orchestrator.core {
    requires transitive dev.mcpplan.orchestrator.api;
    requires io.modelcontextprotocol.sdk.mcp.json.jackson3;
    requires tools.jackson.core;
    requires tools.jackson.databind;
    requires tools.jackson.dataformat.yaml;
    requires org.snakeyaml.engine;
    requires dev.failsafe.core;
    requires org.slf4j;
    requires reactor.core;

    exports dev.mcpplan.orchestrator.core;

    uses dev.mcpplan.orchestrator.spi.ActionDetector;
    uses dev.mcpplan.orchestrator.spi.ServerMapping;
    uses dev.mcpplan.orchestrator.spi.TransportProvider;
    uses dev.mcpplan.orchestrator.spi.ExecutionListener;
    uses dev.mcpplan.orchestrator.spi.AuditSink;
    uses dev.mcpplan.orchestrator.spi.ErrorClassifier;
}
