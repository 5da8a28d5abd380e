package dev.mcpplan.orchestrator.stdio;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.spec.McpClientTransport;

/**
 * The {@code stdio} transport provider: each server is a process started from its {@code command},
 * {@code args} and {@code env}, speaking newline-delimited JSON-RPC on stdin and stdout.
 *
 * <p>Thread-safe. The server gets only the host's environment variables the context lets it inherit
 * plus its own {@code env}; a request with neither answer nor progress for the context's time-out, or
 * running past its longest call time, fails and is cancelled; a closing server has 2 s to exit on
 * stdin close and 2 s more after SIGTERM before it and its children are killed; at JVM shutdown every
 * server tree still running is ended, and when the JVM is killed its watchdog ends them (with
 * {@code setsid} and {@code sh}, as on Linux and macOS), or else the next host to start a server does.
 */
public final class StdioTransportProvider implements TransportProvider {
    @Override
    public String type() {
        return ServerDefinition.STDIO;
    }

    @Override
    public McpClientTransport create(ServerDefinition server, TransportContext context) {
        return new ProcessClientTransport(server, context, System.getenv(), ProcessClientTransport.DEFAULT_MAX_LINE);
    }
}
