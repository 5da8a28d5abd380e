package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plans against a server nobody here wrote: {@code @modelcontextprotocol/server-filesystem} from the npm
 * registry, installed into {@code target/npm} by the build and spawned over stdio with node.
 */
class ReferenceFilesystemServerTest {
    private static final Path SERVER =
            Path.of("target/npm/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");

    @TempDir
    Path vault;

    @Test
    void readVaultAndWriteVaultMapToTheFilesystemServersTools() throws IOException {
        assertThat(SERVER)
                .as("the build installs the reference server with npm (exec-maven-plugin in"
                        + " orchestrator-core/pom.xml); run the tests through Maven, with node and npm installed")
                .exists();
        Path root = vault.toRealPath();
        Files.writeString(root.resolve("existing.md"), "Already here.");
        Files.createDirectories(root.resolve("Clients"));
        Path config = root.resolve("mcp.json");
        Files.writeString(config, """
                { "mcpServers": { "fs": { "command": "node", "args": ["%s", "%s"] } },
                  "orchestrator": { "timeout": "20s", "actions": {
                    "write_vault": { "server": "fs", "tool": "write_file", "idempotent": true },
                    "read_vault":  { "server": "fs", "tool": "read_text_file" } } } }
                """.formatted(SERVER.toAbsolutePath(), root));
        VaultPlanStore store = VaultPlanStore.open(root);
        Files.writeString(store.approvedDir().resolve("fs-plan.md"), """
                ---
                status: approved
                ---
                # Use the filesystem server
                ## Steps
                - [ ] Save to vault the client note
                  - path: %1$s/Clients/acme.md
                  - content: Sent the Q4 proposal.
                - [ ] Read from vault the existing note
                  - path: %1$s/existing.md
                - [ ] Save to vault a note outside the allowed folder
                  - path: /tmp/../etc/escape-attempt.md
                  - content: never
                """.formatted(root));

        List<PlanResult> results;
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(config)
                .discoverPlugins(getClass().getClassLoader())
                .build()) {
            results = orchestrator.processReady(store);
        }

        PlanResult result = results.get(0);
        assertThat(result.steps().get(0).status()).hasToString("SUCCEEDED");
        assertThat(Files.readString(root.resolve("Clients/acme.md"))).isEqualTo("Sent the Q4 proposal.");
        assertThat(result.steps().get(1).content()).contains("Already here.");
        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.steps().get(2).message())
                .hasValueSatisfying(m -> assertThat(m).containsIgnoringCase("denied"));
        // a refused path, not a credentials problem: the person is sent to the path, not to the keys
        assertThat(result.steps().get(2).errorKind()).contains(dev.mcpplan.orchestrator.ErrorKind.TOOL_ERROR);
        assertThat(result.steps().get(2).message())
                .hasValueSatisfying(m -> assertThat(m).contains("not a credentials problem"));
        assertThat(Path.of("/etc/escape-attempt.md")).doesNotExist();
        assertThat(store.failedDir().resolve("fs-plan.md")).exists();
    }
}
