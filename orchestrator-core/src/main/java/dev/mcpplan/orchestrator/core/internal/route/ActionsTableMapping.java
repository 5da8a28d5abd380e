package dev.mcpplan.orchestrator.core.internal.route;

import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Routes actions by an actions table. Two of them run: the user's configured {@code actions}
 * ({@link #configured}), asked before every plugin mapping, and the seed's default table
 * ({@link #defaults}), asked after every plugin mapping.
 *
 * <p>Immutable and thread-safe.
 */
public final class ActionsTableMapping implements ServerMapping {
    public static final String ID = "actions-table";
    public static final String DEFAULTS_ID = "default-actions-table";

    private final String id;
    private final int priority;
    private final Map<String, Route> table;

    private ActionsTableMapping(String id, int priority, Map<String, Route> table) {
        this.id = id;
        this.priority = priority;
        this.table = Map.copyOf(new LinkedHashMap<>(table));
    }

    /** The user's table: asked before every plugin. */
    public static ActionsTableMapping configured(Map<String, Route> table) {
        return new ActionsTableMapping(ID, Integer.MAX_VALUE, table);
    }

    /** The seed's table: asked after every plugin. */
    public static ActionsTableMapping defaults(Map<String, Route> table) {
        return new ActionsTableMapping(DEFAULTS_ID, Integer.MIN_VALUE, table);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int priority() {
        return priority;
    }

    @Override
    public Optional<Route> route(String actionType) {
        return Optional.ofNullable(table.get(actionType));
    }
}
