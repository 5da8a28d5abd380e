package dev.mcpplan.orchestrator.spi;

import io.modelcontextprotocol.spec.McpClientTransport;
import java.util.List;

/**
 * Creates the MCP client transport for servers of one transport type ({@code stdio}, {@code http}, or
 * a type of the plugin's own). Exactly one provider may serve a type: two are a configuration error.
 *
 * <p>Implementations must be thread-safe; each {@link #create} returns a new, unconnected transport.
 */
public interface TransportProvider {
    /** The transport type this provider serves, as written in a server's {@code type} field. */
    String type();

    /**
     * Creates a transport for one server. The orchestrator connects it through the SDK's client.
     *
     * @throws dev.mcpplan.orchestrator.ConfigurationException if the definition cannot be served
     */
    McpClientTransport create(ServerDefinition server, TransportContext context);

    /**
     * Classifiers that read the failures this transport raises (an HTTP status, say). The orchestrator
     * asks them, by their priority, before the built-in classifier, whenever it has this provider, with
     * or without plugin discovery. None by default.
     */
    default List<ErrorClassifier> errorClassifiers() {
        return List.of();
    }
}
