package dev.mcpplan.orchestrator;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The health of one configured server: whether it started, the tools it lists, and a ping's round trip.
 *
 * <p>Immutable and thread-safe.
 *
 * @param server the server's name
 * @param type its transport type
 * @param started whether it started and answered
 * @param tools the tools it lists (empty when it did not start)
 * @param ping the ping round trip, when it answered
 * @param error why it is not healthy, when it is not
 */
public record ServerHealth(
        String server,
        String type,
        boolean started,
        List<String> tools,
        Optional<Duration> ping,
        Optional<String> error) {
    public ServerHealth {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(type, "type");
        tools = List.copyOf(tools);
        Objects.requireNonNull(ping, "ping");
        Objects.requireNonNull(error, "error");
    }
}
