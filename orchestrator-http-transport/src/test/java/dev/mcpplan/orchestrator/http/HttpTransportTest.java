package dev.mcpplan.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.catalina.LifecycleException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code http} transport under the real orchestrator, against real HTTP servers on 127.0.0.1: the
 * project's {@link HttpFaultServer} (the SDK's servlet transport in Tomcat, misbehaving on request), the
 * reference {@code server-everything} in its Streamable HTTP mode, and a server of the newer stateless
 * revision (the TypeScript SDK v2 with {@code legacy: 'reject'}), both started with the build's npm
 * packages.
 */
class HttpTransportTest {
    private static final String TOKEN = "tok-" + UUID.randomUUID();

    @TempDir
    Path dir;

    private HttpFaultServer server;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void start() throws IOException, LifecycleException {
        server = HttpFaultServer.start(dir.resolve("tomcat"));
    }

    @AfterEach
    void stop() throws LifecycleException {
        server.close();
        processes.forEach(p -> p.destroyForcibly());
    }

    private McpPlanOrchestrator orchestrator(String url, String settings, ExecutionListener... listeners)
            throws IOException {
        Path config = dir.resolve("mcp-" + UUID.randomUUID() + ".json");
        Files.writeString(config, """
                { "mcpServers": { "remote": { "type": "streamable-http", "url": "%s",
                                              "headers": { "Authorization": "Bearer ${REMOTE_TOKEN}" } } },
                  "orchestrator": { "timeout": "5s", "retries": 2, "backoff": "100ms", %s
                    "actions": { "echo": { "server": "remote", "tool": "echo" },
                                 "send": { "server": "remote", "tool": "send" },
                                 "slow": { "server": "remote", "tool": "slow" },
                                 "hang": { "server": "remote", "tool": "hang" },
                                 "say": { "server": "remote", "tool": "echo", "parameters": { "text": "message" } },
                                 "sum": { "server": "remote", "tool": "get-sum" },
                                 "ask": { "server": "remote", "tool": "trigger-elicitation-request" },
                                 "long": { "server": "remote", "tool": "trigger-long-running-operation" } } } }
                """.formatted(url, settings));
        McpPlanOrchestrator.Builder b = McpPlanOrchestrator.builder()
                .config(config)
                .environment(Map.of("REMOTE_TOKEN", TOKEN))
                .stateDirectory(dir.resolve("state")); // no plugin discovery: the transport brings its classifier
        for (ExecutionListener l : listeners) {
            b.listener(l);
        }
        return b.build();
    }

    private static Plan plan(Step... steps) {
        return Plan.builder("http-" + UUID.randomUUID())
                .status(PlanStatus.APPROVED)
                .steps(List.of(steps))
                .build();
    }

    private static Step step(int n, String action, String text) {
        return Step.builder(n, action + " " + text)
                .action(action)
                .parameter("text", text)
                .build();
    }

    @Test
    void aPlanRunsAgainstTheProjectsServerWithTheConfiguredTokenAndTheIdempotencyKeyInMeta() throws IOException {
        server.requireAuthorization("Bearer " + TOKEN);
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            result = orchestrator.execute(plan(step(1, "echo", "hello"), step(2, "send", "invoice")));
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps().get(0).content()).contains("echo: hello");
        assertThat(server.calls()).containsExactly("send:invoice");
        assertThat(server.metas())
                .as("each call carries its idempotency key in _meta, as over stdio")
                .allSatisfy(meta -> assertThat(meta).containsKey("dev.mcpplan/idempotency-key"));
    }

    @Test
    void aWrongTokenIsAnAuthenticationFailureAndTheTokenNeverReachesTheLogOrTheMessage() throws IOException {
        server.requireAuthorization("Bearer something-else");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            result = orchestrator.execute(plan(step(1, "send", "invoice")));
        } finally {
            System.setErr(stderr);
        }
        String log = captured.toString(StandardCharsets.UTF_8);

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.error())
                .as("refused at the opening: a configuration problem, not an outage to wait out")
                .hasValueSatisfying(m ->
                        assertThat(m).contains("cannot start as configured").contains("HTTP 401"));
        assertThat(server.calls()).isEmpty();
        assertThat(log).as("the log says what happened").contains("remote");
        assertThat(log + result).doesNotContain(TOKEN);
    }

    @Test
    void aCallRefusedWithForbiddenInARunningSessionFailsItsPlanAndIsNotRetried() throws IOException {
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            orchestrator.execute(plan(step(1, "echo", "opens the session")));
            server.answerCalls(403, 1, Map.of());
            result = orchestrator.execute(plan(step(1, "send", "invoice")));
        }

        StepResult step = result.steps().get(0);
        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.FAILED);
        assertThat(step.errorKind()).contains(ErrorKind.AUTHENTICATION);
        assertThat(step.message()).hasValueSatisfying(m -> assertThat(m).contains("HTTP 403"));
        assertThat(step.attempts()).isEqualTo(1);
        assertThat(server.calls()).isEmpty();
    }

    @Test
    void aCallThatOutlivesItsTimeOutFailsAndIsCancelledAtTheServer() throws IOException {
        long start = System.nanoTime();
        PlanResult result;
        try (McpPlanOrchestrator orchestrator =
                orchestrator(server.url(), "\"servers\": { \"remote\": { \"timeout\": \"1s\" } },")) {
            result = orchestrator.execute(plan(step(1, "hang", "forever")));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        StepResult step = result.steps().get(0);
        assertThat(step.status()).as(result.toString()).isEqualTo(StepStatus.OUTCOME_UNKNOWN);
        assertThat(step.errorKind()).contains(ErrorKind.TIMEOUT);
        assertThat(result.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
        assertThat(step.attempts()).as("not idempotent: never sent twice").isEqualTo(1);
        assertThat(server.cancelled())
                .as("notifications/cancelled reached the server")
                .hasSize(1);
        assertThat(took).as("a 1 s time-out, on a loaded machine").isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void theReferenceServerOverHttpRunsAPlanWithProgressAndADeclinedRequestForInput() throws Exception {
        int port = freePort();
        Process everything = start(
                List.of(
                        "node",
                        Path.of("target/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js")
                                .toAbsolutePath()
                                .toString(),
                        "streamableHttp"),
                Map.of("PORT", Integer.toString(port)),
                "listening on port");
        assertThat(everything.isAlive()).isTrue();
        List<String> progress = new CopyOnWriteArrayList<>();
        ExecutionListener heard = new ExecutionListener() {
            @Override
            public void stepProgress(Plan plan, Step step, double done, Double total, String message) {
                progress.add((int) done + "/" + (total == null ? "?" : Integer.toString(total.intValue())));
            }
        };
        PlanResult result;
        try (McpPlanOrchestrator orchestrator =
                orchestrator("http://127.0.0.1:" + port + "/mcp", "\"timeout\": \"3s\",", heard)) {
            result = orchestrator.execute(plan(
                    step(1, "say", "over http"),
                    Step.builder(2, "add")
                            .action("sum")
                            .parameter("a", "2")
                            .parameter("b", "3")
                            .build(),
                    Step.builder(3, "long")
                            .action("long")
                            .parameter("duration", "5")
                            .parameter("steps", "5")
                            .build(),
                    Step.builder(4, "ask a person").action("ask").build()));
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps().get(0).content())
                .hasValueSatisfying(c -> assertThat(c).contains("over http"));
        assertThat(result.steps().get(1).content())
                .hasValueSatisfying(c -> assertThat(c).contains("5"));
        assertThat(result.steps().get(2).attempts())
                .as("5 s against a 3 s time-out, alive by its progress")
                .isEqualTo(1);
        // in order, from the first; the SDK's sync client hands progress to its consumers on another
        // thread (boundedElastic), so the last report may come after the answer, when no one listens
        assertThat(progress)
                .startsWith("1/5", "2/5", "3/5")
                .isSubsetOf("1/5", "2/5", "3/5", "4/5", "5/5")
                .isSortedAccordingTo(String::compareTo);
        assertThat(result.steps().get(3).content())
                .as("the server's request for input is declined: no one attends the run")
                .hasValueSatisfying(c -> assertThat(c).contains("declined"));
    }

    @Test
    void aServerThatWentAwayIsNeverSentTheCallAndTheConnectionRecoversWhenItIsBack() throws Exception {
        int port = server.port();
        HttpFaultServer first = server;
        server.closeConnectionsAfterEachAnswer(); // "away" is then a refused connection, not a stale one
        PlanResult before;
        PlanResult away;
        PlanResult back;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            before = orchestrator.execute(plan(step(1, "send", "one")));
            server.close();
            away = orchestrator.execute(plan(step(1, "send", "two")));
            assertThat(orchestrator.health()).singleElement().satisfies(h -> {
                assertThat(h.started()).isFalse();
                assertThat(h.error()).hasValueSatisfying(e -> assertThat(e).contains("could not be reached"));
            });

            server = HttpFaultServer.start(port, dir.resolve("tomcat-again"));
            back = orchestrator.execute(plan(step(1, "send", "three")));
            assertThat(orchestrator.health())
                    .singleElement()
                    .satisfies(h -> assertThat(h.started()).isTrue());
        }

        assertThat(before.status()).as(before.toString()).isEqualTo(PlanStatus.COMPLETED);
        StepResult step = away.steps().get(0);
        assertThat(step.status())
                .as("never sent, so not an unknown outcome: %s", away)
                .isEqualTo(StepStatus.FAILED);
        assertThat(step.errorKind()).contains(ErrorKind.UNAVAILABLE);
        assertThat(step.message()).hasValueSatisfying(m -> assertThat(m).contains("could not be reached"));
        assertThat(away.status()).as("safe to run later").isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(back.status()).as(back.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(first.calls()).containsExactly("send:one");
        assertThat(server.calls()).containsExactly("send:three");
    }

    @Test
    void aServerThatIsNotThereWhenAPlanStartsReschedulesItWithNothingSent() throws Exception {
        int port = server.port();
        server.close();
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator("http://127.0.0.1:" + port + "/mcp", "")) {
            result = orchestrator.execute(plan(step(1, "send", "invoice")));
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(result.steps().get(0).status()).isEqualTo(StepStatus.NOT_RUN);
        assertThat(result.error()).hasValueSatisfying(m -> assertThat(m).contains("could not be reached"));
    }

    @Test
    void anHttpsServerWhoseCertificateNoTrustStoreKnowsIsNeverSentTheCall() throws Exception {
        PlanResult result;
        try (HttpFaultServer untrusted = HttpFaultServer.startSelfSigned(dir.resolve("tomcat-tls"));
                McpPlanOrchestrator orchestrator = orchestrator(untrusted.url(), "")) {
            result = orchestrator.execute(plan(step(1, "send", "invoice")));
            assertThat(untrusted.calls()).isEmpty();
            assertThat(untrusted.initializes())
                    .as("not even the opening got through")
                    .isZero();
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(result.steps().get(0).status()).isEqualTo(StepStatus.NOT_RUN);
        assertThat(result.error())
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("could not be reached")
                        .contains("TLS handshake failed")
                        .contains("certification path"));
    }

    @Test
    void aResponseCutOffMidwayMayHaveBeenSentSoANonIdempotentCallIsNotRepeated() throws IOException {
        server.dropNextCall();
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            result = orchestrator.execute(plan(step(1, "send", "invoice")));
        }

        StepResult step = result.steps().get(0);
        assertThat(step.status()).as(result.toString()).isEqualTo(StepStatus.OUTCOME_UNKNOWN);
        assertThat(step.errorKind())
                .as("the broken connection, not the time-out")
                .contains(ErrorKind.UNAVAILABLE);
        assertThat(result.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
        assertThat(server.calls()).containsExactly("send:invoice (dropped)");
    }

    @Test
    void tooManyRequestsReschedulesThePlanForTheServersRetryAfter() throws IOException {
        server.answerCalls(429, 1, Map.of("Retry-After", "120"));
        Instant before = Instant.now();
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            result = orchestrator.execute(plan(step(1, "send", "invoice")));
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(result.steps().get(0).errorKind()).contains(ErrorKind.RATE_LIMIT);
        assertThat(result.retryAfter())
                .hasValueSatisfying(at -> assertThat(at).isBetween(before.plusSeconds(119), before.plusSeconds(180)));
        assertThat(server.calls()).isEmpty();
    }

    @Test
    void aServerErrorIsRetriedForAnIdempotentToolAndNotForOneThatIsNot() throws IOException {
        server.answerCalls(500, 1, Map.of());
        PlanResult echo;
        PlanResult send;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            echo = orchestrator.execute(plan(step(1, "echo", "again")));
            server.answerCalls(503, 1, Map.of());
            send = orchestrator.execute(plan(step(1, "send", "invoice")));
        }

        assertThat(echo.status()).as(echo.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(echo.steps().get(0).attempts()).isEqualTo(2);
        StepResult failed = send.steps().get(0);
        assertThat(failed.errorKind()).as(send.toString()).contains(ErrorKind.SERVER_ERROR);
        assertThat(failed.message()).hasValueSatisfying(m -> assertThat(m).contains("HTTP 503"));
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(send.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(server.calls()).isEmpty();
    }

    @Test
    void aForgottenSessionIsOpenedAgainWithoutRepeatingACallThatRan() throws IOException {
        PlanResult first;
        PlanResult second;
        try (McpPlanOrchestrator orchestrator = orchestrator(server.url(), "")) {
            first = orchestrator.execute(plan(step(1, "send", "one")));
            server.forgetSessions();
            second = orchestrator.execute(plan(step(1, "send", "two")));
        }

        assertThat(first.status()).as(first.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(second.status()).as(second.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(server.calls()).containsExactly("send:one", "send:two");
        assertThat(server.initializes()).as("a new session").isEqualTo(2);
    }

    @Test
    void theCircuitBreakerOpensForAnHttpServerThatKeepsFailing() throws IOException {
        server.answerCalls(500, 50, Map.of());
        List<PlanResult> results = new ArrayList<>();
        try (McpPlanOrchestrator orchestrator = orchestrator(
                server.url(), "\"retries\": 0, \"circuitBreaker\": { \"failures\": 2, \"delay\": \"1h\" },")) {
            for (int i = 0; i < 3; i++) {
                results.add(orchestrator.execute(plan(step(1, "echo", "try " + i))));
            }
        }

        assertThat(results.get(0).steps().get(0).errorKind()).contains(ErrorKind.SERVER_ERROR);
        assertThat(results.get(2).steps().get(0).message())
                .as(results.get(2).toString())
                .hasValueSatisfying(m -> assertThat(m.toLowerCase()).contains("circuit"));
    }

    @Test
    void maxConcurrentOfAnHttpServerHoldsForParallelSteps() throws IOException {
        Plan.Builder plan = Plan.builder("http-" + UUID.randomUUID())
                .status(PlanStatus.APPROVED)
                .frontMatter(Map.of("execution", "parallel"));
        for (int i = 1; i <= 4; i++) {
            plan.step(Step.builder(i, "slow " + i)
                    .action("slow")
                    .parameter("ms", 800)
                    .build());
        }
        PlanResult result;
        try (McpPlanOrchestrator orchestrator =
                orchestrator(server.url(), "\"servers\": { \"remote\": { \"maxConcurrent\": 2 } },")) {
            result = orchestrator.execute(plan.build());
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(server.mostSlowCallsAtOnce())
                .as("parallel, within maxConcurrent")
                .isEqualTo(2);
    }

    @Test
    void theRateLimitOfAnHttpServerHoldsAsForAStdioServer() throws IOException {
        PlanResult first;
        PlanResult second;
        try (McpPlanOrchestrator orchestrator =
                orchestrator(server.url(), "\"servers\": { \"remote\": { \"rateLimit\": \"1/1h\" } },")) {
            first = orchestrator.execute(plan(step(1, "send", "one")));
            second = orchestrator.execute(plan(step(1, "send", "two")));
        }

        assertThat(first.status()).as(first.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(second.status()).as(second.toString()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(second.steps().get(0).errorKind()).contains(ErrorKind.RATE_LIMIT);
        assertThat(server.calls()).containsExactly("send:one");
    }

    @Test
    void aServerOfTheNewerRevisionOnlyFailsItsPlanNamingBothRevisions() throws Exception {
        Path script = Path.of("target/npm/stateless-server.mjs").toAbsolutePath();
        try (var in = getClass().getResourceAsStream("/stateless-server.mjs")) {
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        int port = freePort();
        start(List.of("node", script.toString()), Map.of("PORT", Integer.toString(port)), "listening on");
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = orchestrator("http://127.0.0.1:" + port + "/mcp", "")) {
            result = orchestrator.execute(plan(step(1, "echo", "hello")));
        }

        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.error())
                .as("not rescheduled: it cannot work")
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("cannot start as configured")
                        .contains("2026-07-28")
                        .contains("2025-11-25"));
    }

    @Test
    void theDeprecatedSseTypeIsRefusedWithAMessageThatSaysSo() throws IOException {
        Path config = dir.resolve("sse.json");
        Files.writeString(config, """
                { "mcpServers": { "old": { "type": "sse", "url": "http://127.0.0.1:1/sse" } } }
                """);

        assertThatThrownBy(() -> McpPlanOrchestrator.builder().config(config).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("sse.json")
                .hasMessageContaining("server 'old'")
                .hasMessageContaining("deprecated HTTP+SSE");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Starts a server process and waits for its ready line on stdout or stderr. */
    private Process start(List<String> command, Map<String, String> env, String ready) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process = builder.start();
        processes.add(process);
        var lines = new java.io.BufferedReader(
                new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    synchronized (seen) {
                        seen.append(line).append('\n');
                        seen.notifyAll();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        synchronized (seen) {
            while (!seen.toString().contains(ready) && System.nanoTime() < deadline && process.isAlive()) {
                seen.wait(500);
            }
            assertThat(seen.toString()).as("%s started", command).contains(ready);
        }
        return process;
    }
}
