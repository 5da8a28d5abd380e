package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.ServerHealth;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a real server writes to stderr before it dies at start, and the configured values it echoes, reach no
 * console line, plan file, audit line, alert or result in clear.
 */
class RedactionEverywhereTest {
    private static final String PLAN = """
            ---
            status: approved
            ---
            # Echo
            ## Steps
            - [ ] Echo hello
              - action: echo
              - text: hello
            """;

    @TempDir
    Path dir;

    private final List<String> alerts = new CopyOnWriteArrayList<>();

    /** Runs {@code body}, and returns what it wrote to the console (SLF4J's simple logger writes to stderr). */
    private static <T> T console(StringBuilder into, Supplier<T> body) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return body.get();
        } finally {
            System.setErr(original);
            into.append(captured.toString(StandardCharsets.UTF_8));
            original.print(captured.toString(StandardCharsets.UTF_8));
        }
    }

    /** An orchestrator whose server {@code fault} is a fault server started with these options and env. */
    private McpPlanOrchestrator orchestrator(Map<String, String> env, Map<String, String> hostEnv, String... options)
            throws IOException {
        Path config = Servers.config(
                dir.resolve("mcp.json"),
                Map.of("fault", Servers.faultServerEntry(env, options)),
                Map.of("startTimeout", "20s", "actions", Map.of("echo", "fault")));
        return McpPlanOrchestrator.builder()
                .config(config)
                .environment(hostEnv)
                .discoverPlugins(getClass().getClassLoader())
                .auditLog(dir.resolve("vault/Logs"))
                .listener(Servers.alertsInto(alerts))
                .build();
    }

    /** Every file the run wrote in the vault: plans wherever they moved, the audit log, the dashboard. */
    private String vaultFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("vault"))) {
            return files.filter(Files::isRegularFile)
                    .map(f -> {
                        try {
                            return f + "\n" + Files.readString(f, StandardCharsets.UTF_8);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .collect(Collectors.joining("\n"));
        }
    }

    private List<PlanResult> runVault(McpPlanOrchestrator orchestrator) throws IOException {
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Files.writeString(dir.resolve("vault/Approved/echo.md"), PLAN);
        return orchestrator.processReady(store);
    }

    @Test
    void aPasswordLineOnStderrOfAServerThatFailsAtStartReachesNoConsolePlanOrAudit() throws IOException {
        String password = "Tr0ub4dor-x9";
        StringBuilder console = new StringBuilder();
        List<PlanResult> results;
        try (McpPlanOrchestrator orchestrator = orchestrator(
                Map.of(), Map.of(), "--stderr", "db login failed: password=" + password, "--exit-on-start", "2")) {
            results = console(console, () -> {
                try {
                    return runVault(orchestrator);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        String files = vaultFiles();
        assertThat(results)
                .singleElement()
                .satisfies(r -> assertThat(r.error())
                        .hasValueSatisfying(e -> assertThat(e).contains("exited with code 2", "password=***")));
        assertThat(files).contains("password=***").doesNotContain(password);
        assertThat(console).contains("password=***").doesNotContain(password);
        assertThat(results.toString()).doesNotContain(password);
    }

    @Test
    void aConfiguredEnvValueEchoedByAFailingServerReachesNoConsolePlanAuditCheckOrHealth() throws IOException {
        String secret = "v4lueOfMySecret";
        StringBuilder console = new StringBuilder();
        List<PlanResult> results;
        CheckReport check;
        List<ServerHealth> health;
        try (McpPlanOrchestrator orchestrator = orchestrator(
                Map.of("MY_SECRET", "${MY_SECRET}"),
                Map.of("MY_SECRET", secret),
                "--stderr-env",
                "MY_SECRET",
                "--exit-on-start",
                "2")) {
            results = console(console, () -> {
                try {
                    return runVault(orchestrator);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            Path plan = Files.writeString(dir.resolve("echo.md"), PLAN);
            check = console(console, () -> orchestrator.check(orchestrator.parse(plan)));
            health = console(console, orchestrator::health);
        }
        String files = vaultFiles();
        assertThat(results.toString()).contains("started with ***").doesNotContain(secret);
        assertThat(files).contains("started with ***").doesNotContain(secret);
        assertThat(console).contains("started with ***").doesNotContain(secret);
        assertThat(check.problems())
                .extracting(Problem::message)
                .singleElement()
                .satisfies(m -> assertThat(m).contains("started with ***").doesNotContain(secret));
        assertThat(health)
                .singleElement()
                .satisfies(h -> assertThat(h.error())
                        .hasValueSatisfying(e -> assertThat(e).doesNotContain(secret)));
        assertThat(alerts).noneMatch(a -> a.contains(secret));
    }
}
