package dev.mcpplan.orchestrator.spi;

import io.modelcontextprotocol.json.McpJsonMapper;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * What a transport gets from the orchestrator besides the server's definition.
 */
public interface TransportContext {
    /** The JSON mapper every transport of this orchestrator uses; never pick one through ServiceLoader. */
    McpJsonMapper jsonMapper();

    /**
     * The time-out for one request to the server: the server's own when configured, else the
     * orchestrator's default. A transport that tracks requests fails one that has had no answer by
     * then, and tells the server to cancel it.
     */
    Duration requestTimeout();

    /**
     * What every text a transport logs or puts in an exception message goes through first: server stderr
     * lines, server log notifications, reasons for a server's death. It masks what the orchestrator knows to
     * be secret (the server's configured {@code env} and {@code headers} values, token shapes, secret-looking
     * {@code key=value} pairs). By default the identity.
     */
    default UnaryOperator<String> redactor() {
        return UnaryOperator.identity();
    }
}
