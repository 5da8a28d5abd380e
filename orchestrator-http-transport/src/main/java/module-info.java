/**
 * The {@code http} transport: remote MCP servers reached by Streamable HTTP, with the time-outs,
 * cancellation and not-sent failures of the stdio transport, and HTTP statuses told apart.
 */
module dev.mcpplan.orchestrator.http {
    requires transitive dev.mcpplan.orchestrator.api;
    requires java.net.http;
    requires org.slf4j;
    requires reactor.core;

    exports dev.mcpplan.orchestrator.http;

    provides dev.mcpplan.orchestrator.spi.TransportProvider with
            dev.mcpplan.orchestrator.http.HttpTransportProvider;
}
