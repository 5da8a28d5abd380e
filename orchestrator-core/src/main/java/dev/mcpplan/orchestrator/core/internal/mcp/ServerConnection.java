package dev.mcpplan.orchestrator.core.internal.mcp;

import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One MCP server: started on first use, initialized once, reused across plans; its tool list is asked
 * once per start, cached and replaced when the server sends {@code tools/list_changed}. Its progress
 * notifications go to the call that asked for them (by {@code progressToken}); its log notifications
 * to SLF4J, logger {@code mcp.server.NAME}, at the matching level, redacted. After the connection breaks (the
 * server died), the next use starts the server again, but not before a wait that doubles with each
 * breakdown since the last successful call (the restart backoff, up to 32 times its base).
 *
 * <p>A server configured with several instances has one connection per instance, each named
 * {@code NAME#N} (from 1) with its own process, restart backoff and counts of calls.
 *
 * <p>Thread-safe: starting and stopping are serialized; calls may run concurrently.
 */
public final class ServerConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    private static final McpSchema.Implementation CLIENT_INFO =
            McpSchema.Implementation.builder("mcp-plan-orchestrator", "0.1.0").build();
    /** A server may ask for input (elicitation), which an unattended run declines. */
    private static final McpSchema.ClientCapabilities CAPABILITIES =
            McpSchema.ClientCapabilities.builder().elicitation().build();
    /** Added to the transport's own time-out, so the transport's (which cancels) fires first. */
    private static final Duration CLIENT_TIMEOUT_MARGIN = Duration.ofSeconds(2);
    /** Numbers the calls of this JVM, for progress tokens that no two calls share. */
    private static final AtomicLong CALLS = new AtomicLong();

    private final ServerDefinition definition;
    private final String label;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong callsStarted = new AtomicLong();
    private final TransportProvider provider;
    private final TransportContext context;
    private final Duration requestTimeout;
    private final Duration maxCallTime;
    private final Duration startTimeout;
    private final UnaryOperator<String> redactor;
    private final Logger serverLog;
    private final Map<String, Consumer<McpSchema.ProgressNotification>> progressListeners = new ConcurrentHashMap<>();

    private final Duration restartBackoff;
    private final Clock clock;

    private McpSyncClient client;
    private volatile Map<String, ToolInfo> tools = Map.of();
    private boolean closed;
    /** Resets since the last successful call: each doubles the wait before the next start. */
    private int resets;

    private Instant notBefore = Instant.MIN;
    /** Failed starts in a row: while the last one is recent, another instance is preferred to this one. */
    private int startFailures;

    private Instant shunnedUntil = Instant.MIN;

    ServerConnection(
            ServerDefinition definition,
            String label,
            TransportProvider provider,
            McpJsonMapper jsonMapper,
            Settings settings,
            Duration restartBackoff,
            UnaryOperator<String> redactor,
            Path stateDirectory,
            Clock clock) {
        this.restartBackoff = restartBackoff;
        this.clock = clock;
        this.definition = definition;
        this.label = label;
        this.provider = provider;
        this.requestTimeout = definition.requestTimeout().orElse(settings.requestTimeout());
        this.maxCallTime = settings.maxCallTimeFor(requestTimeout);
        this.startTimeout = settings.startTimeout();
        this.redactor = redactor;
        this.serverLog = LoggerFactory.getLogger("mcp.server." + definition.name());
        List<String> inherited = settings.inheritEnvFor(definition.name());
        this.context = new TransportContext() {
            @Override
            public McpJsonMapper jsonMapper() {
                return jsonMapper;
            }

            @Override
            public Duration requestTimeout() {
                return requestTimeout;
            }

            @Override
            public Duration maxCallTime() {
                return maxCallTime;
            }

            @Override
            public Duration startTimeout() {
                return startTimeout;
            }

            @Override
            public List<String> inheritedEnvironment() {
                return inherited;
            }

            @Override
            public UnaryOperator<String> redactor() {
                return redactor;
            }

            @Override
            public Path stateDirectory() {
                return stateDirectory != null ? stateDirectory : TransportContext.super.stateDirectory();
            }
        };
    }

    public ServerDefinition definition() {
        return definition;
    }

    /** The server's name, with {@code #N} when it runs as several instances. */
    public String name() {
        return label;
    }

    /** The calls to this instance that have started and not yet ended. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The calls to this instance since it was first used, ended or not. */
    public long callsStarted() {
        return callsStarted.get();
    }

    /**
     * Counts a call to this instance as in flight, from the moment it was chosen for it (so that calls
     * chosen at the same time spread over the instances); {@link #callEnded()} ends it.
     */
    public void callChosen() {
        callsStarted.incrementAndGet();
        inFlight.incrementAndGet();
    }

    /** Ends a call counted by {@link #callChosen()}. */
    public void callEnded() {
        inFlight.decrementAndGet();
    }

    /** Whether a call now could use the server: it runs, or it may be started (no restart backoff). */
    public synchronized boolean ready() {
        Instant now = clock.instant();
        return !closed && (client != null || !now.isBefore(notBefore) && !now.isBefore(shunnedUntil));
    }

    /** The per-call time-out of this server: how long a call may go without an answer or progress. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** The longest a call to this server may run in all, however often it reports progress. */
    public Duration maxCallTime() {
        return maxCallTime;
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
            McpSyncClient c = McpClient.sync(new InitialListGate(provider.create(definition, context)))
                    .clientInfo(CLIENT_INFO)
                    .capabilities(CAPABILITIES)
                    .elicitation(this::decline)
                    // the SDK bounds the initialize request by this, not by initializationTimeout: it must
                    // cover startTimeout; and, having one time-out per client that progress cannot restart,
                    // the longest call; the transport's own time-out, which progress restarts, fires first
                    .requestTimeout((maxCallTime.compareTo(startTimeout) >= 0 ? maxCallTime : startTimeout)
                            .plus(CLIENT_TIMEOUT_MARGIN))
                    .initializationTimeout(startTimeout)
                    .toolsChangeConsumer(this::replaceTools)
                    .progressConsumer(this::progress)
                    .loggingConsumer(this::log)
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
                shunnedUntil = clock.instant().plus(restartBackoff.multipliedBy(1L << Math.min(startFailures, 5)));
                startFailures++;
                throw e;
            }
            startFailures = 0;
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
     * Calls a tool. The request carries {@code meta} as its {@code _meta}, and a {@code progressToken}
     * unique to this call, whose progress notifications go to {@code progress} while the call runs.
     *
     * @throws RequestNotSentException if the server could not be started, so nothing was sent
     */
    public McpSchema.CallToolResult call(
            String tool,
            Map<String, Object> arguments,
            Map<String, Object> meta,
            Consumer<McpSchema.ProgressNotification> progress) {
        McpSyncClient c;
        try {
            c = client();
        } catch (RequestNotSentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RequestNotSentException(
                    "server '" + name() + "' could not start: " + redactor.apply(String.valueOf(e.getMessage())), e);
        }
        String token = name() + "-" + CALLS.incrementAndGet();
        Map<String, Object> withToken = new LinkedHashMap<>(meta);
        withToken.put("progressToken", token);
        progressListeners.put(token, progress);
        try {
            return c.callTool(McpSchema.CallToolRequest.builder(tool)
                    .arguments(arguments)
                    .meta(withToken)
                    .build());
        } finally {
            progressListeners.remove(token);
        }
    }

    private void progress(McpSchema.ProgressNotification notification) {
        Consumer<McpSchema.ProgressNotification> listener =
                progressListeners.get(String.valueOf(notification.progressToken()));
        if (listener != null) {
            listener.accept(notification);
        }
    }

    /**
     * A server's request for input from a person: no one attends an unattended run, so the answer is
     * decline, and the server decides what its tool does without the input.
     */
    private McpSchema.ElicitResult decline(McpSchema.ElicitFormRequest request) {
        LOG.warn(
                "server '{}' asked for input ({}); declined: a plan runs unattended",
                name(),
                redactor.apply(String.valueOf(request.message())));
        return new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.DECLINE, null);
    }

    /** A log notification of the server, at the SLF4J level nearest its own. */
    private void log(McpSchema.LoggingMessageNotification message) {
        String text = redactor.apply((message.logger() == null ? "" : "[" + message.logger() + "] ") + message.data());
        McpSchema.LoggingLevel level = message.level() == null ? McpSchema.LoggingLevel.INFO : message.level();
        switch (level) {
            case DEBUG -> serverLog.debug(text);
            case INFO, NOTICE -> serverLog.info(text);
            case WARNING -> serverLog.warn(text);
            default -> serverLog.error(text);
        }
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
