package dev.mcpplan.orchestrator.core.internal.mcp;

import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.json.McpJsonMapper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured servers, each connected on first use. Only servers named in the configuration can be
 * reached: a plan cannot make the orchestrator start anything else. A server configured with
 * {@code servers.NAME.instances} above 1 has that many connections, each its own process.
 *
 * <p>Thread-safe.
 */
public final class ServerPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerPool.class);

    private final Map<String, ServerDefinition> definitions;
    private final Map<String, TransportProvider> transports;
    private final McpJsonMapper jsonMapper;
    private final Settings settings;
    private final Duration restartBackoff;
    private final UnaryOperator<String> redactor;
    private final Path stateDirectory;
    private final Clock clock;
    private final Map<String, ServerConnection> connections = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param definitions the configured servers by name
     * @param transports the transport providers by transport type
     * @param settings time-outs and the inherited environment
     * @param redactor masks secrets in what servers log
     * @param stateDirectory where transports keep state across runs of the host; {@code null} for the
     *     transport context's default
     */
    public ServerPool(
            Map<String, ServerDefinition> definitions,
            Map<String, TransportProvider> transports,
            McpJsonMapper jsonMapper,
            Settings settings,
            Duration restartBackoff,
            UnaryOperator<String> redactor,
            Path stateDirectory,
            Clock clock) {
        this.restartBackoff = restartBackoff;
        this.clock = clock;
        this.definitions = Map.copyOf(definitions);
        this.transports = Map.copyOf(transports);
        this.jsonMapper = jsonMapper;
        this.settings = settings;
        this.redactor = redactor;
        this.stateDirectory = stateDirectory;
    }

    public Optional<ServerDefinition> definition(String name) {
        return Optional.ofNullable(definitions.get(name));
    }

    public Collection<ServerDefinition> definitions() {
        return definitions.values();
    }

    /** Whether some provider serves the server's transport type. */
    public boolean hasTransport(ServerDefinition server) {
        return transports.containsKey(server.type());
    }

    public java.util.Set<String> transportTypes() {
        return transports.keySet();
    }

    /**
     * The connection to a configured server (not started until used); of several instances, the first.
     *
     * @throws IllegalArgumentException if the server is not configured or no transport serves its type
     */
    public ServerConnection connection(String name) {
        return instance(name, 1);
    }

    /**
     * The connections to each instance of a configured server (none started until used).
     *
     * @throws IllegalArgumentException if the server is not configured or no transport serves its type
     */
    public List<ServerConnection> instances(String name) {
        int count = settings.limitsFor(name).instances();
        List<ServerConnection> all = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            all.add(instance(name, i));
        }
        return all;
    }

    private ServerConnection instance(String name, int number) {
        if (closed) {
            throw new IllegalStateException("the orchestrator is closed");
        }
        ServerDefinition definition = definitions.get(name);
        if (definition == null) {
            throw new IllegalArgumentException("server '" + name + "' is not configured");
        }
        TransportProvider provider = transports.get(definition.type());
        if (provider == null) {
            throw new IllegalArgumentException("no transport provider serves type '" + definition.type()
                    + "' of server '" + name + "' (available: " + transports.keySet() + ")");
        }
        String label = settings.limitsFor(name).instances() == 1 ? name : name + "#" + number;
        return connections.computeIfAbsent(
                label,
                n -> new ServerConnection(
                        definition,
                        label,
                        provider,
                        jsonMapper,
                        settings,
                        restartBackoff,
                        redactor,
                        stateDirectory,
                        clock));
    }

    /**
     * Pings every server that is running, starting none. A server whose ping fails is reset, so that
     * the next call starts it at once instead of failing first; a ping that times out is only logged,
     * since a busy server is not a dead one.
     */
    public void checkRunning() {
        for (ServerConnection connection : List.copyOf(connections.values())) {
            if (!connection.started()) {
                continue;
            }
            try {
                LOG.debug(
                        "server '{}' answered its health check in {} ms",
                        connection.name(),
                        connection.ping().toMillis());
            } catch (RuntimeException e) {
                if (!timedOut(e)) {
                    LOG.warn(
                            "server '{}' failed its health check: {}; it is started again on next use",
                            connection.name(),
                            redactor.apply(String.valueOf(e.getMessage())));
                    connection.reset();
                } else {
                    LOG.warn(
                            "server '{}' did not answer its health check: {}",
                            connection.name(),
                            redactor.apply(e.toString()));
                }
            }
        }
    }

    private static boolean timedOut(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || String.valueOf(t.getMessage()).contains("timed out")) {
                return true;
            }
        }
        return false;
    }

    /** Ends every server this pool started. */
    @Override
    public void close() {
        closed = true;
        List<ServerConnection> all = new ArrayList<>(connections.values());
        connections.clear();
        all.parallelStream().forEach(ServerConnection::close);
    }
}
