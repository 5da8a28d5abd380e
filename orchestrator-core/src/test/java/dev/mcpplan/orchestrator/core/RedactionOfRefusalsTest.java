package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the orchestrator says when it refuses input quotes that input: a secret in a broken
 * configuration or a broken plan is masked in the exception and in the reason written beside the plan.
 */
class RedactionOfRefusalsTest {
    private static final String TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";

    @TempDir
    Path dir;

    @Test
    void aBrokenConfigurationQuotingATokenIsRefusedWithTheTokenMasked() throws IOException {
        Path config = dir.resolve("mcp.json");
        Files.writeString(config, "{ \"mcpServers\": { \"x\": { \"command\": " + TOKEN + " } } }");

        assertThatThrownBy(() -> McpPlanOrchestrator.builder().config(config).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("not valid JSON")
                .hasMessageNotContaining(TOKEN.substring(4))
                .satisfies(e -> assertThat(e.getCause()).isNull());
    }

    @Test
    void aPlanPutAsideForBrokenYamlHasItsReasonWrittenWithTheTokenMasked() throws IOException {
        Path vault = dir.resolve("vault");
        VaultPlanStore store = VaultPlanStore.open(vault, Clock.systemUTC(), Duration.ZERO);
        Files.writeString(
                store.approvedDir().resolve("broken.md"), "---\nplan_id: [" + TOKEN + "\n---\n## Steps\n- [ ] a\n");

        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .stateDirectory(dir.resolve("state"))
                .build()) {
            orchestrator.processReady(store);
        }

        Path reason = store.failedDir().resolve("broken.md.error.txt");
        assertThat(reason).exists();
        assertThat(Files.readString(reason)).contains("broken").doesNotContain(TOKEN.substring(4));
        assertThat(Files.readString(store.failedDir().resolve("broken.md"))).contains(TOKEN);
    }
}
