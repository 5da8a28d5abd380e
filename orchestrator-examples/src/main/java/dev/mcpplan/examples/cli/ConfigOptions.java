package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every command that talks to servers shares: where the configuration is. */
final class ConfigOptions {
    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            required = true,
            description = "mcpServers JSON file (Claude Desktop format), optionally with orchestrator settings;"
                    + " repeat to add settings files")
    List<Path> configFiles = new ArrayList<>();

    /**
     * A builder with the configuration files, ServiceLoader discovery on this program's class path, and
     * progress printed when a terminal is attached.
     */
    McpPlanOrchestrator.Builder builder() {
        McpPlanOrchestrator.Builder builder =
                McpPlanOrchestrator.builder().discoverPlugins(ConfigOptions.class.getClassLoader());
        configFiles.forEach(builder::config);
        ProgressPrinter.addWhenInteractive(builder);
        return builder;
    }
}
