package dev.mcpplan.orchestrator.core.internal.config;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the configuration files say: the servers by name, and the settings.
 *
 * @param servers the servers in the order configured
 * @param settings the orchestrator settings
 */
public record Configuration(Map<String, ServerDefinition> servers, Settings settings) {
    public Configuration {
        servers = Collections.unmodifiableMap(new LinkedHashMap<>(servers));
    }

    public static Configuration empty() {
        return new Configuration(Map.of(), Settings.defaults());
    }
}
