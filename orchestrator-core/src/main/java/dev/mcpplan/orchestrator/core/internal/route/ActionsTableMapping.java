package dev.mcpplan.orchestrator.core.internal.route;

import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Routes actions by the configuration's {@code actions} table (the seed's table by default).
 * Priority 0: plugin mappings (default 100) are asked first.
 *
 * <p>Immutable and thread-safe.
 */
public final class ActionsTableMapping implements ServerMapping {
    public static final String ID = "actions-table";

    private final Map<String, Route> table;

    public ActionsTableMapping(Map<String, Route> table) {
        this.table = Map.copyOf(new LinkedHashMap<>(table));
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Optional<Route> route(String actionType) {
        return Optional.ofNullable(table.get(actionType));
    }
}
