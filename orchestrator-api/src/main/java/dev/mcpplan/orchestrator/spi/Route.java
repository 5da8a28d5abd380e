package dev.mcpplan.orchestrator.spi;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where an action goes: a server (by its name in the configuration), or several that serve it alike,
 * and a tool, with optional renames of parameters (our name to the tool's) and an optional override of
 * the tool's idempotency hint. Of several servers, each call goes to the one (or the instance of one)
 * with the fewest calls in flight among the healthy ones.
 *
 * <p>Immutable and thread-safe.
 */
public final class Route {
    private final List<String> servers;
    private final String tool;
    private final Map<String, String> parameterNames;
    private final Boolean idempotent;

    private Route(List<String> servers, String tool, Map<String, String> parameterNames, Boolean idempotent) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("a route needs a server");
        }
        servers.forEach(s -> requireText(s, "server"));
        if (Set.copyOf(servers).size() < servers.size()) {
            throw new IllegalArgumentException("a route names a server twice: " + servers);
        }
        this.servers = List.copyOf(servers);
        this.tool = requireText(tool, "tool");
        this.parameterNames = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameterNames));
        this.idempotent = idempotent;
    }

    private static String requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }

    /** A route to {@code tool} on {@code server}, passing parameters under their own names. */
    public static Route to(String server, String tool) {
        return new Route(List.of(requireText(server, "server")), tool, Map.of(), null);
    }

    /**
     * A route to {@code tool} on any of {@code servers}, which must serve it alike (the first one's tool
     * list and schema check the steps).
     *
     * @throws IllegalArgumentException if the list is empty or names a server twice
     */
    public static Route toAny(List<String> servers, String tool) {
        return new Route(servers, tool, Map.of(), null);
    }

    /** This route with parameters renamed: key is the step's name, value the tool's. */
    public Route withParameterNames(Map<String, String> names) {
        names.forEach((k, v) -> {
            Objects.requireNonNull(k, "parameter name");
            Objects.requireNonNull(v, "tool parameter name for " + k);
        });
        return new Route(servers, tool, names, idempotent);
    }

    /** This route with the tool's idempotency stated, overriding the server's annotations. */
    public Route withIdempotent(boolean idempotent) {
        return new Route(servers, tool, parameterNames, idempotent);
    }

    /** The server, or the first of several. */
    public String server() {
        return servers.get(0);
    }

    /** Every server that serves this route, the first one's tool list checking the steps; unmodifiable. */
    public List<String> servers() {
        return servers;
    }

    public String tool() {
        return tool;
    }

    /** Renames from the step's parameter names to the tool's; unmodifiable. */
    public Map<String, String> parameterNames() {
        return parameterNames;
    }

    /** The idempotency stated by the mapping, when it states one. */
    public Optional<Boolean> idempotent() {
        return Optional.ofNullable(idempotent);
    }

    /** The tool's arguments for the given step parameters, renamed as this route says. */
    public Map<String, Object> arguments(Map<String, Object> parameters) {
        Map<String, Object> arguments = new LinkedHashMap<>();
        parameters.forEach((k, v) -> arguments.put(parameterNames.getOrDefault(k, k), v));
        return JsonValues.copyOf(arguments);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Route r
                && servers.equals(r.servers)
                && tool.equals(r.tool)
                && parameterNames.equals(r.parameterNames)
                && Objects.equals(idempotent, r.idempotent);
    }

    @Override
    public int hashCode() {
        return Objects.hash(servers, tool, parameterNames, idempotent);
    }

    @Override
    public String toString() {
        return String.join("|", servers) + "/" + tool + (parameterNames.isEmpty() ? "" : " " + parameterNames);
    }
}
