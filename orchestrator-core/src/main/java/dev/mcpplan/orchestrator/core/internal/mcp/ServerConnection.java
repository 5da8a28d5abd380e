package dev.mcpplan.orchestrator.core.internal.mcp;

import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MCP server: started on first use, initialized once, reused across plans; its tool list is cached
 * and replaced when the server sends {@code tools/list_changed}. After the connection breaks (the
 * server died), the next use starts the server again, but not before a wait that doubles with each
 * breakdown since the last successful call (the restart backoff, up to 32 times its base).
 *
 * <p>Thread-safe: starting and stopping are serialized; calls may run concurrently.
 */
public final class ServerConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    private static final McpSchema.Implementation CLIENT_INFO =
            McpSchema.Implementation.builder("mcp-plan-orchestrator", "0.1.0").build();
    /** Added to the transport's own time-out, so the transport's (which cancels) fires first. */
    private static final Duration CLIENT_TIMEOUT_MARGIN = Duration.ofSeconds(2);

    private final ServerDefinition definition;
    private final TransportProvider provider;
    private final McpJsonMapper jsonMapper;
    private final Duration requestTimeout;
    private final Duration startTimeout;

    private final Duration restartBackoff;
    private final Clock clock;
    private final UnaryOperator<String> redactor;

    private McpSyncClient client;
    private volatile Map<String, ToolInfo> tools = Map.of();
    private boolean closed;
    /** Resets since the last successful call: each doubles the wait before the next start. */
    private int resets;

    private Instant notBefore = Instant.MIN;

    ServerConnection(
            ServerDefinition definition,
            TransportProvider provider,
            McpJsonMapper jsonMapper,
            Duration requestTimeout,
            Duration startTimeout,
            Duration restartBackoff,
            Clock clock,
            UnaryOperator<String> redactor) {
        this.redactor = redactor;
        this.restartBackoff = restartBackoff;
        this.clock = clock;
        this.definition = definition;
        this.provider = provider;
        this.jsonMapper = jsonMapper;
        this.requestTimeout = definition.requestTimeout().orElse(requestTimeout);
        this.startTimeout = startTimeout;
    }

    public ServerDefinition definition() {
        return definition;
    }

    public String name() {
        return definition.name();
    }

    /** The per-call time-out of this server. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Whether the server has been started and initialized, and not closed since. */
    public synchronized boolean started() {
        return client != null;
    }

    /**
     * The client, starting and initializing the server first if needed.
     *
     * @throws RuntimeException whatever the transport or the SDK raised, when the server cannot start
     */
    public synchronized McpSyncClient client() {
        if (closed) {
            throw new IllegalStateException("server '" + name() + "' is closed");
        }
        if (client == null) {
            Instant now = clock.instant();
            if (now.isBefore(notBefore)) {
                throw new RequestNotSentException("server '" + name() + "' broke down; it is started again in "
                        + Duration.between(now, notBefore).toMillis() + " ms");
            }
            TransportContext context = new TransportContext() {
                @Override
                public McpJsonMapper jsonMapper() {
                    return jsonMapper;
                }

                @Override
                public Duration requestTimeout() {
                    return requestTimeout;
                }

                @Override
                public UnaryOperator<String> redactor() {
                    return redactor;
                }
            };
            McpSyncClient c = McpClient.sync(provider.create(definition, context))
                    .clientInfo(CLIENT_INFO)
                    // the SDK bounds the initialize request by this, not by initializationTimeout: it must
                    // cover startTimeout; calls are bounded by the transport's time-out and the time-out guard
                    .requestTimeout((requestTimeout.compareTo(startTimeout) >= 0 ? requestTimeout : startTimeout)
                            .plus(CLIENT_TIMEOUT_MARGIN))
                    .initializationTimeout(startTimeout)
                    .toolsChangeConsumer(this::replaceTools)
                    .build();
            try {
                long start = System.nanoTime();
                c.initialize();
                replaceTools(c.listTools().tools());
                LOG.info(
                        "server '{}' started: {} tools in {} ms",
                        name(),
                        tools.size(),
                        (System.nanoTime() - start) / 1_000_000);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            client = c;
        }
        return client;
    }

    /** The tools the server lists, starting it if needed. */
    public Map<String, ToolInfo> tools() {
        client();
        return tools;
    }

    /** The tools known so far, without starting the server. */
    public Map<String, ToolInfo> knownTools() {
        return tools;
    }

    public Optional<ToolInfo> tool(String name) {
        return Optional.ofNullable(tools().get(name));
    }

    /**
     * Calls a tool. The request carries {@code meta} as its {@code _meta}.
     *
     * @throws RequestNotSentException if the server could not be started, so nothing was sent
     */
    public McpSchema.CallToolResult call(String tool, Map<String, Object> arguments, Map<String, Object> meta) {
        McpSyncClient c;
        try {
            c = client();
        } catch (RequestNotSentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RequestNotSentException(
                    "server '" + name() + "' could not start: " + redactor.apply(String.valueOf(e.getMessage())), e);
        }
        return c.callTool(McpSchema.CallToolRequest.builder(tool)
                .arguments(arguments)
                .meta(meta)
                .build());
    }

    /** A call went through: the next breakdown waits the shortest time before a restart again. */
    public synchronized void succeeded() {
        resets = 0;
    }

    /** Pings the server, starting it if needed, and returns the round trip. */
    public Duration ping() {
        McpSyncClient c = client();
        long start = System.nanoTime();
        c.ping();
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * Drops the connection after it broke, so that the next use starts the server again. The server
     * process, if still there, is ended.
     */
    public synchronized void reset() {
        if (client != null) {
            McpSyncClient c = client;
            client = null;
            Duration wait = restartBackoff.multipliedBy(1L << Math.min(resets, 5));
            resets++;
            notBefore = clock.instant().plus(wait);
            LOG.info(
                    "server '{}' connection reset; it is started again on next use, in {} ms at the earliest",
                    name(),
                    wait.toMillis());
            closeQuietly(c);
        }
    }

    private void replaceTools(List<McpSchema.Tool> listed) {
        Map<String, ToolInfo> map = new LinkedHashMap<>();
        listed.forEach(t -> map.put(t.name(), ToolInfo.of(t)));
        tools = Map.copyOf(map);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            closeQuietly(client);
            client = null;
        }
    }

    private void closeQuietly(McpSyncClient c) {
        try {
            c.closeGracefully();
        } catch (RuntimeException e) {
            LOG.warn("server '{}' did not close cleanly: {}", name(), redactor.apply(e.toString()));
        } finally {
            c.close();
        }
    }
}
