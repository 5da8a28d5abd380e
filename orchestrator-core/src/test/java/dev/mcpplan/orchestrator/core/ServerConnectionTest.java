package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.stdio.ScriptServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the orchestrator asks of a server as it starts, and what it does with what the server says
 * besides answers: counted and read at a server that records its requests ({@code ScriptServer}).
 */
class ServerConnectionTest {
    @TempDir
    Path dir;

    private static ServerDefinition scriptServer(String name, String... options) {
        List<String> args =
                new ArrayList<>(List.of("-cp", System.getProperty("java.class.path"), ScriptServer.class.getName()));
        args.addAll(List.of(options));
        return ServerDefinition.builder(name, ServerDefinition.STDIO)
                .command(Servers.java())
                .args(args)
                .build();
    }

    private StepResult run(McpPlanOrchestrator orchestrator, String tool, Map<String, Object> parameters) {
        StepResult result =
                orchestrator.execute(Servers.oneStep(tool, parameters)).steps().get(0);
        assertThat(result.status()).as(result.toString()).isEqualTo(StepStatus.SUCCEEDED);
        return result;
    }

    private McpPlanOrchestrator.Builder builder(ServerDefinition server) {
        return McpPlanOrchestrator.builder()
                .server(server)
                .mapping(Servers.everythingTo(server.name()))
                .discoverPlugins(getClass().getClassLoader());
    }

    @Test
    void toolsAreListedOncePerStart() {
        try (McpPlanOrchestrator orchestrator = builder(scriptServer("counted")).build()) {
            assertThat(run(orchestrator, "methods", Map.of()).content()).contains("initialize,tools/list,tools/call");
        }
    }

    @Test
    void toolsAreListedOnceAlsoWhenTheServerAnnouncesAChangeWhileItStarts() throws InterruptedException {
        try (McpPlanOrchestrator orchestrator =
                builder(scriptServer("announcing", "--list-changed-on-start")).build()) {
            run(orchestrator, "echo", Map.of("text", "x"));
            Thread.sleep(500); // time for a listing the notice would have caused
            assertThat(run(orchestrator, "methods", Map.of()).content())
                    .contains("initialize,tools/list,tools/call,tools/call");
        }
    }

    @Test
    void serverLogNotificationsGoToSlf4jAtTheirLevelRedacted() throws InterruptedException {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (McpPlanOrchestrator orchestrator = builder(scriptServer("chatty")).build()) {
            run(orchestrator, "log", Map.of("level", "warning", "data", "disk low; password=hunter2"));
            run(orchestrator, "log", Map.of("level", "error", "data", "gave up on client@example.com"));
            Thread.sleep(300); // notifications are handled on the client's own threads
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);

        assertThat(log)
                .contains("WARN mcp.server.chatty - [script] disk low; password=***")
                .contains("ERROR mcp.server.chatty - [script] gave up on c***@***.com")
                .doesNotContain("hunter2")
                .doesNotContain("client@example.com");
    }

    @Test
    void inheritEnvSetsWhichHostVariablesAServerGetsGloballyAndPerServer() throws IOException {
        assertThat(System.getenv()).containsKeys("PATH", "HOME");
        Path config = dir.resolve("mcp.json");
        Files.writeString(config, """
                { "orchestrator": {
                    "inheritEnv": ["PATH", "HOM*"],
                    "servers": { "bare": { "inheritEnv": ["PATH"] } } } }
                """);
        String wide;
        String bare;
        try (McpPlanOrchestrator orchestrator =
                builder(scriptServer("wide")).config(config).build()) {
            wide = run(orchestrator, "env", Map.of()).content().orElseThrow();
        }
        try (McpPlanOrchestrator orchestrator =
                builder(scriptServer("bare")).config(config).build()) {
            bare = run(orchestrator, "env", Map.of()).content().orElseThrow();
        }

        List<String> others = System.getenv().keySet().stream()
                .filter(k -> !k.equals("PATH") && !k.startsWith("HOM"))
                .collect(Collectors.toList());
        assertThat(List.of(wide.split(","))).contains("PATH", "HOME").doesNotContainAnyElementsOf(others);
        assertThat(List.of(bare.split(","))).contains("PATH").doesNotContain("HOME");
    }
}
