package dev.mcpplan.orchestrator.stdio;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.spec.McpClientTransport;

/**
 * The {@code stdio} transport provider: each server is a process started from its {@code command},
 * {@code args} and {@code env}, speaking newline-delimited JSON-RPC on stdin and stdout.
 *
 * <p>Thread-safe. The server gets only an allowlist of the host's environment variables plus its own
 * {@code env}; a request unanswered after the context's time-out fails and is cancelled; a closing
 * server has 2 s to exit on stdin close and 2 s more after SIGTERM before it and its children are
 * killed; at JVM shutdown every server tree still running is ended.
 */
public final class StdioTransportProvider implements TransportProvider {
    @Override
    public String type() {
        return ServerDefinition.STDIO;
    }

    @Override
    public McpClientTransport create(ServerDefinition server, TransportContext context) {
        return new ProcessClientTransport(
                server,
                context.jsonMapper(),
                System.getenv(),
                context.requestTimeout(),
                ProcessClientTransport.DEFAULT_MAX_LINE,
                context.redactor());
    }
}
