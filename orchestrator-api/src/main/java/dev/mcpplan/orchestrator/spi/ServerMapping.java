package dev.mcpplan.orchestrator.spi;

import java.util.Optional;

/**
 * Routes an action type to the MCP server and tool that perform it. Mappings are asked in
 * {@link #priority()} order (higher first, then by {@link #id()}); the first that answers decides.
 * The user's configured {@code actions} table is asked before every plugin ({@link Integer#MAX_VALUE}),
 * the built-in default table after every plugin ({@link Integer#MIN_VALUE}).
 *
 * <p>Implementations must be thread-safe.
 */
public interface ServerMapping {
    String id();

    /** Higher runs first. By default 100: after the user's configured table, ahead of the default table. */
    default int priority() {
        return 100;
    }

    /** @return where the action goes, or empty when this mapping does not know the action */
    Optional<Route> route(String actionType);
}
