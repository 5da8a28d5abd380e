package dev.mcpplan.orchestrator.core.testing;

import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * A host run without any SLF4J provider on its class path: builds an orchestrator that discovers
 * plugins through the folder {@code args[0]} (holding a service file that names a broken provider).
 */
public final class NoLoggerHost {
    private NoLoggerHost() {}

    public static void main(String[] args) throws Exception {
        try (URLClassLoader plugins = new URLClassLoader(
                        new URL[] {Path.of(args[0]).toUri().toURL()}, NoLoggerHost.class.getClassLoader());
                McpPlanOrchestrator orchestrator =
                        McpPlanOrchestrator.builder().discoverPlugins(plugins).build()) {
            System.out.println("built: " + orchestrator.getClass().getSimpleName());
        }
    }
}
