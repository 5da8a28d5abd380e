package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.OrchestratorException;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanOrchestrator;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.ServerHealth;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepCheck;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.spec.McpClientTransport;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a first-time user runs into: nothing may silently do nothing, messages must say what to fix, and
 * the user's own configuration wins over a plugin's defaults. Real servers over real stdio throughout.
 */
class FirstContactTest {
    @TempDir
    Path dir;

    private Path settings(String json) throws IOException {
        Path file = dir.resolve("settings-" + System.nanoTime() + ".json");
        Files.writeString(file, "{ \"orchestrator\": " + json + " }");
        return file;
    }

    /** Without discoverPlugins, the way a user who forgot it builds the orchestrator. */
    private McpPlanOrchestrator.Builder builder(String json) throws IOException {
        return McpPlanOrchestrator.builder()
                .config(settings(json))
                .server(Servers.faultServer("fault"))
                .mapping(Servers.everythingTo("fault"));
    }

    /** A plan with an id of its own: one plan id runs once, in this run's state directory and any other. */
    private static Plan plan(Approval approval, Step... steps) {
        return Plan.builder("first-contact-" + UUID.randomUUID())
                .status(PlanStatus.APPROVED)
                .approval(approval)
                .steps(List.of(steps))
                .build();
    }

    private static Step echo(int n) {
        return Step.builder(n, "Echo").action("echo").parameter("text", "hi").build();
    }

    private static final Step MEETING = Step.builder(2, "Schedule a meeting with Alice on 2026-03-02 at 10:00")
            .build();

    @Test
    void aStepNoDetectorRecognisesIsAWarningInCheckAndInTheResultNotASilentSuccess() throws IOException {
        try (McpPlanOrchestrator orchestrator = builder("{}").build()) {
            Plan plan = plan(Approval.none(), echo(1), MEETING);

            CheckReport report = orchestrator.check(plan);
            assertThat(report.ok()).as("a warning does not stop the plan").isTrue();
            assertThat(report.warnings()).singleElement().satisfies(w -> {
                assertThat(w.code()).isEqualTo(Problem.Code.INTERNAL_STEP);
                assertThat(w.severity()).isEqualTo(Problem.Severity.WARNING);
                assertThat(w.message())
                        .startsWith("step 2 (\"Schedule a meeting with Alice")
                        .contains("discoverPlugins")
                        .contains("META-INF/services");
            });

            PlanResult result = orchestrator.execute(plan);
            assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
            assertThat(result.steps().get(1).status()).isEqualTo(StepStatus.SKIPPED);
            assertThat(result.warnings()).extracting(Problem::code).containsExactly(Problem.Code.INTERNAL_STEP);
        }
    }

    @Test
    void internalStepsFailThePlanWhenTheSettingSaysFailAndPassSilentlyWhenItSaysSkip() throws IOException {
        Path log = dir.resolve("record.log");
        Plan plan = plan(
                Approval.none(),
                Step.builder(1, "Record")
                        .action("record")
                        .parameter("text", "x")
                        .build(),
                MEETING);
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings("{ \"internalSteps\": \"fail\" }"))
                .server(Servers.faultServer("fault", "--log", log.toString()))
                .mapping(Servers.everythingTo("fault"))
                .build()) {
            assertThat(orchestrator.check(plan).errors())
                    .extracting(Problem::code)
                    .containsExactly(Problem.Code.INTERNAL_STEP);
            PlanResult result = orchestrator.execute(plan);
            assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(result.error())
                    .hasValueSatisfying(
                            e -> assertThat(e).contains("nothing was sent").contains("internalSteps is \"fail\""));
            assertThat(log).doesNotExist();
        }
        try (McpPlanOrchestrator orchestrator =
                builder("{ \"internalSteps\": \"skip\" }").build()) {
            assertThat(orchestrator.check(plan).problems()).isEmpty();
        }
        assertThatThrownBy(() -> builder("{ \"internalSteps\": \"ignore\" }").build())
                .isInstanceOf(dev.mcpplan.orchestrator.ConfigurationException.class)
                .hasMessageContaining("settings-")
                .hasMessageContaining("internalSteps must be \"skip\", \"warn\" or \"fail\", not 'ignore'");
    }

    @Test
    void anApprovedActionThatNoStepResolvesToIsAProblem() throws IOException {
        try (McpPlanOrchestrator orchestrator = builder("{}").build()) {
            Plan plan = plan(
                    Approval.builder()
                            .approvedActions(Set.of("echo", "calendar_event"))
                            .build(),
                    echo(1),
                    MEETING);
            CheckReport report = orchestrator.check(plan);
            assertThat(report.ok()).isFalse();
            assertThat(report.planProblems()).singleElement().satisfies(p -> {
                assertThat(p.code()).isEqualTo(Problem.Code.UNUSED_APPROVED_ACTION);
                assertThat(p.message())
                        .isEqualTo("approved_actions lists 'calendar_event', but no step resolves to it (the"
                                + " steps resolve to [echo]); the plugin that detects it may be missing, or"
                                + " the list is wrong");
            });
            assertThat(orchestrator.execute(plan).status()).isEqualTo(PlanStatus.FAILED);
        }
    }

    @Test
    void theStdioTransportOnTheClassPathIsUsedWithoutDiscoverPlugins() throws IOException {
        try (McpPlanOrchestrator orchestrator = builder("{}").build()) {
            PlanResult result = orchestrator.execute(plan(Approval.none(), echo(1)));
            assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
            assertThat(result.steps().get(0).content()).contains("hi");
        }
    }

    /** A transport of a type of its own, found through a service file; it never connects anything. */
    public static final class FakeTransport implements TransportProvider {
        @Override
        public String type() {
            return "fake";
        }

        @Override
        public McpClientTransport create(ServerDefinition server, TransportContext context) {
            throw new UnsupportedOperationException("the fake transport connects nothing");
        }
    }

    /** A detector found through a service file: only discoverPlugins may use it. */
    public static final class EveryStepDetector implements ActionDetector {
        @Override
        public String id() {
            return "every-step";
        }

        @Override
        public Optional<DetectedAction> detect(DetectionContext context) {
            return Optional.of(new DetectedAction("echo", Map.of("text", "found")));
        }
    }

    @Test
    void transportsOnTheContextClassLoaderAreFoundWithoutDiscoverPluginsAndOtherPluginKindsAreNot() throws IOException {
        Path services = dir.resolve("plugins/META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(TransportProvider.class.getName()), FakeTransport.class.getName() + "\n");
        Files.writeString(services.resolve(ActionDetector.class.getName()), EveryStepDetector.class.getName() + "\n");
        ServerDefinition fake = ServerDefinition.builder("fake-server", "fake").build();
        Plan plan = plan(Approval.none(), Step.builder(1, "Echo").action("echo").build(), MEETING);
        ServerMapping toFake = Servers.everythingTo("fake-server");

        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        try (URLClassLoader plugins = new URLClassLoader(
                new URL[] {dir.resolve("plugins").toUri().toURL()}, getClass().getClassLoader())) {
            try (McpPlanOrchestrator without = McpPlanOrchestrator.builder()
                    .server(fake)
                    .mapping(toFake)
                    .startServersForCheck(false)
                    .build()) {
                assertThat(without.check(plan).errors())
                        .extracting(Problem::code)
                        .containsExactly(Problem.Code.NO_TRANSPORT);
            }
            thread.setContextClassLoader(plugins);
            try (McpPlanOrchestrator with = McpPlanOrchestrator.builder()
                    .server(fake)
                    .mapping(toFake)
                    .startServersForCheck(false)
                    .build()) {
                CheckReport report = with.check(plan);
                assertThat(report.errors()).isEmpty();
                assertThat(report.steps().get(1).internal())
                        .as("a detector on the class path needs discoverPlugins")
                        .isTrue();
            }
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    @Test
    void aServerWhoseCommandDoesNotExistFailsThePlanInsteadOfReschedulingItForever() throws IOException {
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings("{}"))
                .server(ServerDefinition.builder("fault", ServerDefinition.STDIO)
                        .command(dir.resolve("no-such-server").toString())
                        .build())
                .mapping(Servers.everythingTo("fault"))
                .build()) {
            PlanResult result = orchestrator.execute(plan(Approval.none(), echo(1)));
            assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(result.retryAfter()).isEmpty();
            assertThat(result.error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .contains("cannot start as configured (in code)")
                            .contains("no-such-server"));
        }
    }

    /** A vault plan whose server starts too slowly for the start time-out: an outage, rescheduled. */
    private McpPlanOrchestrator slowToStart(String extra) throws IOException {
        return McpPlanOrchestrator.builder()
                .config(settings("{ \"startTimeout\": \"100ms\", \"retries\": 0, \"backoff\": \"10ms\"" + extra + " }"))
                .server(Servers.faultServer("fault"))
                .mapping(Servers.everythingTo("fault"))
                .build();
    }

    private static String vaultPlan(String frontMatter) {
        return """
                ---
                plan_id: slow
                %s---
                # Echo through a server that starts too slowly
                ## Steps
                - [ ] Echo
                  - action: echo
                  - text: hi
                """.formatted(frontMatter);
    }

    @Test
    void reschedulingStopsAfterMaxReschedulesAndThePlanFailsWithItsHistory() throws IOException, InterruptedException {
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Path file = store.approvedDir().resolve("slow.md");
        Files.writeString(file, vaultPlan(""));
        try (McpPlanOrchestrator orchestrator = slowToStart(", \"maxReschedules\": 1")) {
            PlanResult first = orchestrator.processReady(store).get(0);
            assertThat(first.status()).as(first.toString()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
            assertThat(first.reschedules()).isEqualTo(1);
            assertThat(Files.readString(file)).contains("reschedules: 1").contains("rescheduled_since: ");

            Thread.sleep(300); // past its retry_after
            List<PlanResult> again = orchestrator.processReady(store);
            assertThat(again).hasSize(1);
            PlanResult second = again.get(0);
            assertThat(second.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(second.error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .startsWith("gave up: it was rescheduled 1 time (maxReschedules is 1); the last attempt:")
                            .contains("could not be started"));
            assertThat(store.failedDir().resolve("slow.md")).exists();
        }
    }

    @Test
    void reschedulingStopsAfterRescheduleFor() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Instant since = Instant.now().minus(Duration.ofHours(2));
        Files.writeString(
                store.approvedDir().resolve("slow.md"),
                vaultPlan("reschedules: 3\nrescheduled_since: \"" + since + "\"\n"));
        try (McpPlanOrchestrator orchestrator = slowToStart(", \"rescheduleFor\": \"1h\"")) {
            PlanResult result = orchestrator.processReady(store).get(0);
            assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
            assertThat(result.error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .startsWith("gave up: it has been rescheduled since " + since
                                    + " (3 times; rescheduleFor is PT1H)"));
        }
    }

    @Test
    void retriesZeroWorksInsteadOfRaisingAFailsafeError() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Files.writeString(store.approvedDir().resolve("echo.md"), vaultPlan("").replace("slow", "echo"));
        try (McpPlanOrchestrator orchestrator = builder("{ \"retries\": 0 }").build()) {
            PlanResult result = orchestrator.processReady(store).get(0);
            assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
            assertThat(orchestrator
                            .execute(plan(
                                    Approval.none(),
                                    Step.builder(1, "Boom").action("boom").build()))
                            .status())
                    .isEqualTo(PlanStatus.FAILED);
        }
        assertThat(store.doneDir().resolve("echo.md")).exists();
        try (var inProgress = Files.list(store.inProgressDir())) {
            assertThat(inProgress.filter(p -> p.toString().endsWith(".md"))).isEmpty();
        }
    }

    @Test
    void everySettingAtItsEdgeValuesRunsAPlan() throws IOException {
        String edges = """
                { "timeout": "1d", "startTimeout": "1m", "healthInterval": "1ms", "retries": 100,
                  "backoff": "1ms", "circuitBreaker": { "failures": 1, "delay": "365d" },
                  "maxReschedules": 0, "rescheduleFor": "1ms",
                  "servers": { "fault": { "rateLimit": "999999999/1ms", "maxConcurrent": 2147483647 } } }
                """;
        try (McpPlanOrchestrator orchestrator = builder(edges).build()) {
            PlanResult result = orchestrator.execute(plan(Approval.none(), echo(1)));
            assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
        }
        try (McpPlanOrchestrator orchestrator = builder("""
                { "retries": 1, "circuitBreaker": { "failures": 2147483647 },
                  "servers": { "fault": { "rateLimit": "1/1d", "maxConcurrent": 1 } } }
                """).build()) {
            assertThat(orchestrator.execute(plan(Approval.none(), echo(1))).completed())
                    .isTrue();
            PlanResult limited = orchestrator.execute(plan(Approval.none(), echo(1)));
            assertThat(limited.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        }
    }

    @Test
    void healthIsOnTheInterfaceAndSaysWhyAServerIsDown() throws IOException {
        ServerDefinition npmLike = ServerDefinition.builder("npm-like", ServerDefinition.STDIO)
                .command("sh")
                // as npx does: a while to look the package up, then the error on stderr and a non-zero exit
                .args(List.of("-c", "sleep 1; echo 'npm ERR! 404 Not Found - @acme/mcp-server' >&2; exit 1"))
                .build();
        ServerDefinition missing = ServerDefinition.builder("missing", ServerDefinition.STDIO)
                .command("no-such-command-" + System.nanoTime())
                .build();
        try (PlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings("{ \"startTimeout\": \"20s\" }"))
                .server(npmLike)
                .server(missing)
                .server(Servers.faultServer("fault"))
                .build()) {
            List<ServerHealth> health = orchestrator.health();
            assertThat(health).extracting(ServerHealth::server).containsExactly("fault", "missing", "npm-like");
            assertThat(health.get(0).started()).isTrue();
            assertThat(health.get(2).error())
                    .hasValueSatisfying(e -> assertThat(e)
                            .contains("exited with code 1")
                            .contains("npm ERR! 404 Not Found - @acme/mcp-server"));
            assertThat(health.get(1).error())
                    .hasValueSatisfying(
                            e -> assertThat(e).contains("Cannot run program").contains("No such file or directory"));
        }
    }

    @Test
    void parseOfAFileThatCannotBeReadThrowsAnOrchestratorException() throws IOException {
        try (McpPlanOrchestrator orchestrator = builder("{}").build()) {
            Path missing = dir.resolve("missing-plan.md");
            assertThatThrownBy(() -> orchestrator.parse(missing))
                    .isInstanceOf(PlanFormatException.class)
                    .hasMessageStartingWith(missing + ": cannot read the file: ")
                    .hasCauseInstanceOf(java.io.UncheckedIOException.class);
        }
        assertThat(new RequestNotSentException("never sent")).isInstanceOf(OrchestratorException.class);
    }

    /** A plugin of default priority that routes every action elsewhere, and detects every step. */
    private static final ServerMapping GREEDY_MAPPING = new ServerMapping() {
        @Override
        public String id() {
            return "greedy-mapping";
        }

        @Override
        public Optional<Route> route(String actionType) {
            return Optional.of(Route.to("elsewhere", actionType));
        }
    };

    private static final ActionDetector GREEDY_DETECTOR = new ActionDetector() {
        @Override
        public String id() {
            return "greedy-detector";
        }

        @Override
        public Optional<DetectedAction> detect(DetectionContext context) {
            return context.step().text().startsWith("Say")
                            || context.step().text().startsWith("Send email")
                    ? Optional.of(new DetectedAction("plugin_action", Map.of()))
                    : Optional.empty();
        }
    };

    @Test
    void theUsersActionsAndPhrasesWinOverAPluginsAndAPluginWinsOverTheDefaults() throws IOException {
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings("{ \"phrases\": { \"say hello\": \"echo\" }, \"actions\": { \"echo\": \"fault\" } }"))
                .server(Servers.faultServer("fault"))
                .mapping(GREEDY_MAPPING)
                .detector(GREEDY_DETECTOR)
                .startServersForCheck(false)
                .build()) {
            CheckReport report = orchestrator.check(plan(
                    Approval.none(),
                    Step.builder(1, "Say hello to the team").build(),
                    Step.builder(2, "Send email to bob@example.com").build()));
            StepCheck configured = report.steps().get(0);
            assertThat(configured.action()).contains("echo");
            assertThat(configured.detector()).contains("phrases");
            assertThat(configured.server()).contains("fault");
            StepCheck overDefault = report.steps().get(1);
            assertThat(overDefault.action()).contains("plugin_action");
            assertThat(overDefault.server()).contains("elsewhere");
        }
    }
}
