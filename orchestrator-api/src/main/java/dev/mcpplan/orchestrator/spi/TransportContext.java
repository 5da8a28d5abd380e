package dev.mcpplan.orchestrator.spi;

import io.modelcontextprotocol.json.McpJsonMapper;
import java.time.Duration;

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
}
