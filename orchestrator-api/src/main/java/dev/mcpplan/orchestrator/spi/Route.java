package dev.mcpplan.orchestrator.spi;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where an action goes: a server (by its name in the configuration) and a tool, with optional renames
 * of parameters (our name to the tool's) and an optional override of the tool's idempotency hint.
 *
 * <p>Immutable and thread-safe.
 */
public final class Route {
    private final String server;
    private final String tool;
    private final Map<String, String> parameterNames;
    private final Boolean idempotent;

    private Route(String server, String tool, Map<String, String> parameterNames, Boolean idempotent) {
        this.server = requireText(server, "server");
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
        return new Route(server, tool, Map.of(), null);
    }

    /** This route with parameters renamed: key is the step's name, value the tool's. */
    public Route withParameterNames(Map<String, String> names) {
        names.forEach((k, v) -> {
            Objects.requireNonNull(k, "parameter name");
            Objects.requireNonNull(v, "tool parameter name for " + k);
        });
        return new Route(server, tool, names, idempotent);
    }

    /** This route with the tool's idempotency stated, overriding the server's annotations. */
    public Route withIdempotent(boolean idempotent) {
        return new Route(server, tool, parameterNames, idempotent);
    }

    public String server() {
        return server;
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
                && server.equals(r.server)
                && tool.equals(r.tool)
                && parameterNames.equals(r.parameterNames)
                && Objects.equals(idempotent, r.idempotent);
    }

    @Override
    public int hashCode() {
        return Objects.hash(server, tool, parameterNames, idempotent);
    }

    @Override
    public String toString() {
        return server + "/" + tool + (parameterNames.isEmpty() ? "" : " " + parameterNames);
    }
}
