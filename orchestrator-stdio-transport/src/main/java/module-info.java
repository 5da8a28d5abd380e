/** The {@code stdio} transport: MCP servers started as processes, JSON-RPC over their stdin and stdout. */
module dev.mcpplan.orchestrator.stdio {
    requires dev.mcpplan.orchestrator.api;
    requires org.slf4j;
    requires reactor.core;

    provides dev.mcpplan.orchestrator.spi.TransportProvider with
            dev.mcpplan.orchestrator.stdio.StdioTransportProvider;
}
