package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.Classification;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every misbehaviour of the fault server against the orchestrator, with short real time-outs: the
 * plan's final state, its audit lines, and the time it took against the bound its settings give
 * (time-out 500 ms, 2 retries, 50 ms backoff, circuit open after 3 failures for 1 s).
 */
class FaultInjectionTest {
    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Map<String, String> TIMES = new ConcurrentHashMap<>();
    private static final AtomicInteger PLANS = new AtomicInteger();

    @TempDir
    Path dir;

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private final List<String> alerts = new CopyOnWriteArrayList<>();
    private McpPlanOrchestrator orchestrator;

    private McpPlanOrchestrator orchestrator(String extraSettings, String... serverOptions) throws IOException {
        orchestrator = builder(extraSettings, serverOptions).build();
        return orchestrator;
    }

    private McpPlanOrchestrator.Builder builder(String extraSettings, String... serverOptions) throws IOException {
        Path settings = dir.resolve("settings.json");
        Files.writeString(settings, """
                { "orchestrator": { "timeout": "%dms", "retries": 2, "backoff": "50ms", "startTimeout": "10s",
                    "circuitBreaker": { "failures": 3, "delay": "1s" }, %s
                    "actions": { "echo": "fault", "slow": "fault", "slow_read": "fault", "crash": "fault",
                      "boom": "fault", "fail": "fault", "auth_fail": "fault", "rate_limit": "fault",
                      "exit_soon": "fault" } } }
                """.formatted(TIMEOUT.toMillis(), extraSettings));
        return McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer("fault", serverOptions))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .auditSink(audit::add)
                .listener(Servers.alertsInto(alerts));
    }

    @AfterEach
    void close() {
        if (orchestrator != null) {
            orchestrator.close();
        }
    }

    @AfterAll
    static void report() {
        TIMES.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> System.out.println("fault " + e.getKey() + ": " + e.getValue()));
    }

    /** A plan with an id of its own: one plan id runs once, and a test may run several plans. */
    private static Plan plan(Step... steps) {
        return Plan.builder("fault-plan-" + PLANS.incrementAndGet())
                .status(PlanStatus.APPROVED)
                .steps(List.of(steps))
                .build();
    }

    private static Step step(int n, String action, Object... parameters) {
        Step.Builder b = Step.builder(n, "Do " + action).action(action);
        for (int i = 0; i + 1 < parameters.length; i += 2) {
            b.parameter((String) parameters[i], parameters[i + 1]);
        }
        return b.build();
    }

    /** Runs the plan, asserting it took no longer than the bound, after a warm-up that starts the server. */
    private PlanResult run(String name, Duration bound, Plan plan) {
        long start = System.nanoTime();
        PlanResult result = orchestrator.execute(plan);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        TIMES.put(name, took.toMillis() + " ms (bound " + bound.toMillis() + " ms)");
        assertThat(took).as(name + " took longer than its bound").isLessThanOrEqualTo(bound);
        return result;
    }

    private void warmUp() {
        PlanResult warm = orchestrator.execute(plan(step(1, "echo", "text", "warm")));
        assertThat(warm.completed()).as(warm.toString()).isTrue();
        audit.clear();
    }

    private List<AuditRecord> calls() {
        return audit.stream().filter(r -> r.event().equals("tool_call")).toList();
    }

    @Test
    void aHangingNonIdempotentCallEndsAtItsTimeOutAsOutcomeUnknown() throws IOException {
        orchestrator("");
        warmUp();
        PlanResult result = run(
                "hang (not idempotent)",
                Duration.ofSeconds(3),
                plan(step(1, "slow", "ms", 60_000), step(2, "echo", "text", "never")));

        assertThat(result.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.OUTCOME_UNKNOWN, StepStatus.NOT_RUN);
        assertThat(result.error())
                .hasValueSatisfying(e -> assertThat(e).contains("step 1").contains("a person must check"));
        assertThat(calls()).singleElement().satisfies(r -> {
            assertThat(r.errorKind()).isEqualTo(ErrorKind.TIMEOUT);
            assertThat(r.attempt()).isEqualTo(1);
        });
    }

    @Test
    void aHangingReadOnlyCallIsRetriedWithBackoffThenTheCircuitOpensAndThePlanIsRescheduled()
            throws IOException, InterruptedException {
        orchestrator("");
        warmUp();
        PlanResult result =
                run("hang (read-only, retried)", Duration.ofSeconds(4), plan(step(1, "slow_read", "ms", 60_000)));

        assertThat(result.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(alerts).isEmpty();
        assertThat(result.retryAfter()).hasValueSatisfying(t -> assertThat(t).isAfter(Instant.now()));
        assertThat(calls()).extracting(AuditRecord::attempt).containsExactly(1, 2, 3);
        assertThat(calls()).extracting(AuditRecord::errorKind).containsOnly(ErrorKind.TIMEOUT);

        audit.clear();
        PlanResult open = run("circuit open", Duration.ofMillis(900), plan(step(1, "echo", "text", "blocked")));
        assertThat(open.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(open.steps().get(0).errorKind()).contains(ErrorKind.UNAVAILABLE);
        assertThat(open.error()).hasValueSatisfying(e -> assertThat(e).containsIgnoringCase("circuit"));

        Thread.sleep(1_100);
        PlanResult probe = run("half-open probe", Duration.ofSeconds(2), plan(step(1, "echo", "text", "probe")));
        assertThat(probe.status()).isEqualTo(PlanStatus.COMPLETED);
    }

    @Test
    void aSlowAnswerWithinTheTimeOutIsFine() throws IOException {
        orchestrator("");
        warmUp();
        PlanResult result = run("slow answer", Duration.ofSeconds(2), plan(step(1, "slow", "ms", 200)));
        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(calls())
                .singleElement()
                .satisfies(r -> assertThat(r.status()).isEqualTo("success"));
    }

    @Test
    void aCrashMidCallFailsAtOnceWithTheExitCodeAndNeedsReview() throws IOException {
        // what counts is how the crash is classified; a loaded machine may take longer than 500 ms to see it
        orchestrator("\"servers\": { \"fault\": { \"timeout\": \"5s\" } },");
        warmUp();
        PlanResult result = run("crash mid-call", Duration.ofSeconds(3), plan(step(1, "crash")));

        assertThat(result.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
        assertThat(result.steps().get(0).errorKind()).contains(ErrorKind.UNAVAILABLE);
        assertThat(result.error()).hasValueSatisfying(e -> assertThat(e).contains("exited with code 3"));
        assertThat(calls())
                .singleElement()
                .satisfies(r -> assertThat(r.errorKind()).isEqualTo(ErrorKind.UNAVAILABLE));
    }

    /**
     * Lets the server exit while idle, waits {@code idleMillis}, then runs a plan that echoes, within
     * the bound {@code name} reports.
     */
    private PlanResult echoAfterAnIdleDeath(String name, String settings, long idleMillis)
            throws IOException, InterruptedException {
        // the first call to a server started again may take a loaded machine longer than the 500 ms of the
        // fault tests: what these tests count is attempts, not time
        orchestrator(settings + "\"servers\": { \"fault\": { \"timeout\": \"5s\" } },");
        warmUp();
        assertThat(orchestrator.execute(plan(step(1, "exit_soon", "ms", 100))).completed())
                .isTrue();
        Thread.sleep(idleMillis);
        audit.clear();
        // the run starts the server again: its bound is what a start may take (startTimeout, 10 s) and the
        // call (5 s), not what an idle machine needs (a busy one took 8.95 s)
        PlanResult result = run(name, Duration.ofSeconds(20), plan(step(1, "echo", "text", "after")));
        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
        return result;
    }

    @Test
    void aServerThatDiedWhileIdleIsStartedAgainByTheNextCall() throws IOException, InterruptedException {
        PlanResult result = echoAfterAnIdleDeath("restart after an idle death", "", 500);

        assertThat(result.steps().get(0).attempts())
                .as("the first attempt finds the server gone")
                .isEqualTo(2);
        assertThat(calls()).extracting(AuditRecord::errorKind).containsExactly(ErrorKind.UNAVAILABLE, null);
        assertThat(calls().get(0).message()).contains("exited with code 4");
    }

    @Test
    void theHealthCheckFindsAServerThatDiedWhileIdleBeforeTheNextCallDoes() throws IOException, InterruptedException {
        PlanResult result = echoAfterAnIdleDeath("restart after a health check", "\"healthInterval\": \"200ms\",", 800);

        assertThat(result.steps().get(0).attempts())
                .as("the health check reset the dead server")
                .isEqualTo(1);
        assertThat(calls()).extracting(AuditRecord::errorKind).containsExactly((ErrorKind) null);
    }

    @Test
    void aServerThatExitsOnStartFailsThePlanAsAConfigurationProblemInsteadOfReschedulingIt() throws IOException {
        orchestrator("", "--exit-on-start", "2");
        PlanResult result = run("exit on start", Duration.ofSeconds(5), plan(step(1, "echo", "text", "x")));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.retryAfter()).isEmpty();
        assertThat(result.error())
                .hasValueSatisfying(e -> assertThat(e)
                        .contains("nothing was sent")
                        .contains("cannot start as configured")
                        .contains("exited with code 2")
                        .contains("exiting on start as told"));
        assertThat(calls()).isEmpty();
    }

    @Test
    void garbageOnStdoutIsSkipped() throws IOException {
        orchestrator("", "--garbage");
        // the bound of a first call, which starts the server: startTimeout (10 s) and the call (500 ms)
        PlanResult result = run("garbage on stdout", Duration.ofSeconds(15), plan(step(1, "echo", "text", "fine")));
        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps().get(0).content()).contains("fine");
    }

    @Test
    void aJsonRpcErrorFromANonIdempotentToolFailsWithoutARetry() throws IOException {
        orchestrator("");
        warmUp();
        PlanResult result = run("JSON-RPC error", Duration.ofSeconds(2), plan(step(1, "boom")));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.steps().get(0).errorKind()).contains(ErrorKind.SERVER_ERROR);
        assertThat(calls())
                .singleElement()
                .satisfies(r -> assertThat(r.message()).contains("boom"));
    }

    @Test
    void anErrorResultFailsThePlanAndLaterStepsDoNotRun() throws IOException {
        orchestrator("");
        warmUp();
        PlanResult result =
                run("isError result", Duration.ofSeconds(2), plan(step(1, "fail"), step(2, "echo", "text", "never")));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.errorKind()).contains(ErrorKind.TOOL_ERROR);
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.FAILED, StepStatus.NOT_RUN);
        assertThat(alerts).isEmpty();
    }

    @Test
    void anAuthenticationFailureFailsAtOnceAndRaisesAnAlert() throws IOException {
        orchestrator("");
        warmUp();
        PlanResult result = run("authentication", Duration.ofSeconds(2), plan(step(1, "auth_fail")));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.errorKind()).contains(ErrorKind.AUTHENTICATION);
        assertThat(alerts)
                .singleElement()
                .satisfies(a -> assertThat(a).startsWith("AUTHENTICATION").contains("401"));
        assertThat(audit).anyMatch(r -> r.event().equals("alert") && r.errorKind() == ErrorKind.AUTHENTICATION);
    }

    @Test
    void aRateLimitedCallReschedulesThePlanAfterTheTimeTheServerAsked() throws IOException {
        orchestrator("");
        warmUp();
        Instant before = Instant.now();
        PlanResult result = run("server rate limit", Duration.ofSeconds(2), plan(step(1, "rate_limit")));

        assertThat(result.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(result.errorKind()).contains(ErrorKind.RATE_LIMIT);
        assertThat(result.retryAfter())
                .hasValueSatisfying(t -> assertThat(t)
                        .isBetween(before.plusSeconds(2), Instant.now().plusSeconds(3)));
        assertThat(calls())
                .singleElement()
                .satisfies(r -> assertThat(r.errorKind()).isEqualTo(ErrorKind.RATE_LIMIT));
    }

    @Test
    void ourOwnRateLimitReschedulesTheCallBeyondIt() throws IOException {
        orchestrator("\"servers\": { \"fault\": { \"rateLimit\": \"3/1m\" } },");
        warmUp();
        PlanResult result = run(
                "own rate limit",
                Duration.ofSeconds(2),
                plan(step(1, "echo", "text", "a"), step(2, "echo", "text", "b"), step(3, "echo", "text", "c")));

        assertThat(result.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.SUCCEEDED, StepStatus.SUCCEEDED, StepStatus.FAILED);
        assertThat(result.steps().get(2).errorKind()).contains(ErrorKind.RATE_LIMIT);
        assertThat(result.retryAfter())
                .hasValueSatisfying(t -> assertThat(t).isAfter(Instant.now().plusSeconds(10)));
    }

    /** Runs three plans of one 500 ms read at once and returns the time it took for all. */
    private Duration threeSlowReadsAtOnce() throws Exception {
        Callable<PlanResult> read = () -> orchestrator.execute(plan(step(1, "slow_read", "ms", 500)));
        ExecutorService threads = Executors.newFixedThreadPool(3);
        long start = System.nanoTime();
        try {
            for (Future<PlanResult> r : threads.invokeAll(List.of(read, read, read))) {
                PlanResult result = r.get(10, TimeUnit.SECONDS);
                assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.COMPLETED);
            }
        } finally {
            threads.shutdownNow();
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void theConcurrencyLimitQueuesCallsToOneServer() throws Exception {
        orchestrator("\"servers\": { \"fault\": { \"maxConcurrent\": 1, \"timeout\": \"2s\" } },");
        warmUp();
        Duration took = threeSlowReadsAtOnce();
        TIMES.put("concurrency limit 1, 3 x 500 ms", took.toMillis() + " ms (at least 1500 ms when queued)");
        assertThat(took).as("three 500 ms calls, one at a time").isGreaterThanOrEqualTo(Duration.ofMillis(1_500));
    }

    @Test
    void withoutAConcurrencyLimitTheSameCallsRunTogether() throws Exception {
        orchestrator("\"servers\": { \"fault\": { \"timeout\": \"2s\" } },");
        warmUp();
        assertThat(threeSlowReadsAtOnce())
                .as("the server runs calls concurrently")
                .isLessThan(Duration.ofMillis(1_200));
    }

    @Test
    void aClassifierOfTheUsersOwnIsAskedBeforeTheBuiltInOne() throws IOException {
        ErrorClassifier quota =
                failure -> failure.errorResult() && failure.message().contains("on purpose")
                        ? Optional.of(new Classification(
                                ErrorKind.RATE_LIMIT,
                                "quota used up: " + failure.message(),
                                Optional.of(Duration.ofSeconds(42))))
                        : Optional.empty();
        orchestrator = builder("").errorClassifier(quota).build();
        warmUp();
        PlanResult result = run("own classifier", Duration.ofSeconds(2), plan(step(1, "fail")));

        assertThat(result.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(result.error()).hasValueSatisfying(e -> assertThat(e).contains("quota used up"));
        assertThat(result.retryAfter())
                .hasValueSatisfying(t -> assertThat(t)
                        .isBetween(Instant.now().plusSeconds(40), Instant.now().plusSeconds(43)));
        PlanResult other = orchestrator.execute(plan(step(1, "auth_fail")));
        assertThat(other.errorKind()).as("left to the built-in classifier").contains(ErrorKind.AUTHENTICATION);
    }

    @Test
    void aRateLimitedVaultPlanWaitsInApprovedUntilItsRetryAfter() throws IOException, InterruptedException {
        orchestrator("");
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"));
        Files.writeString(store.approvedDir().resolve("limited.md"), """
                ---
                plan_id: limited
                ---
                # Hit the rate limit
                ## Steps
                - [ ] Echo first
                  - action: echo
                  - text: before
                - [ ] Then the limit
                  - action: rate_limit
                """);

        List<PlanResult> results = orchestrator.processReady(store);

        assertThat(results)
                .singleElement()
                .satisfies(r -> assertThat(r.status()).isEqualTo(PlanStatus.RETRY_SCHEDULED));
        String text = Files.readString(store.approvedDir().resolve("limited.md"));
        assertThat(text)
                .contains("status: retry_scheduled")
                .containsPattern("retry_after: \\S+")
                .contains("- [x] Echo first")
                .contains("- [ ] Then the limit");
        assertThat(store.ready()).as("not due yet").isEmpty();
        Thread.sleep(2_200);
        assertThat(store.ready()).as("due after the 2 s the server asked for").containsExactly("limited.md");
    }
}
