package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepCheck;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The orchestrator against a real MCP server over real stdio (the test {@code FaultServer}). */
class McpPlanOrchestratorTest {
    @TempDir
    Path dir;

    private Path recordLog;
    private Path config;
    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private final List<String> alerts = new CopyOnWriteArrayList<>();
    private McpPlanOrchestrator orchestrator;

    @BeforeEach
    void setUp() throws IOException {
        recordLog = dir.resolve("record.log");
        config = dir.resolve("settings.json");
        Files.writeString(config, """
                { "orchestrator": {
                    "timeout": "800ms", "backoff": "100ms",
                    "actions": {
                      "echo": "fault", "record": "fault", "fail": "fault", "slow": "fault", "slow_read": "fault",
                      "crash": "fault", "boom": "fault", "grow": "fault", "grown": "fault",
                      "shout": { "server": "fault", "tool": "echo", "parameters": { "words": "text" } },
                      "nowhere": "no-such-server"
                    } } }
                """);
        orchestrator = builder().build();
    }

    private McpPlanOrchestrator.Builder builder() {
        return McpPlanOrchestrator.builder()
                .config(config)
                .server(Servers.faultServer("fault", "--log", recordLog.toString()))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .auditSink(audit::add)
                .listener(Servers.alertsInto(alerts));
    }

    @AfterEach
    void tearDown() {
        orchestrator.close();
    }

    private static Plan plan(Step... steps) {
        return plan("plan-1", steps);
    }

    /** A plan of its own id, for a second run in one test: one plan id runs once. */
    private static Plan plan(String id, Step... steps) {
        return Plan.builder(id)
                .status(PlanStatus.APPROVED)
                .steps(List.of(steps))
                .build();
    }

    private static Step step(int n, String action, String text) {
        return Step.builder(n, "Do " + action)
                .action(action)
                .parameter("text", text)
                .build();
    }

    private List<String> recorded() throws IOException {
        return Files.exists(recordLog) ? Files.readAllLines(recordLog) : List.of();
    }

    @Test
    void runsEveryStepInOrderAndSkipsInternalSteps() throws IOException {
        PlanResult result = orchestrator.execute(plan(
                step(1, "echo", "hello"),
                step(2, "record", "sent"),
                Step.builder(3, "Draft a follow-up reminder for next week").build(),
                Step.builder(4, "Shout it")
                        .action("shout")
                        .parameter("words", "renamed")
                        .build()));

        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.SUCCEEDED, StepStatus.SUCCEEDED, StepStatus.SKIPPED, StepStatus.SUCCEEDED);
        assertThat(result.steps().get(0).content()).contains("hello");
        assertThat(result.steps().get(3).content()).contains("renamed");
        assertThat(result.steps().get(1).server()).contains("fault");
        assertThat(recorded()).containsExactly("plan-1:step-2\tsent");
        assertThat(audit)
                .extracting(AuditRecord::event)
                .containsExactly("plan_started", "tool_call", "tool_call", "tool_call", "tool_call", "plan_finished");
    }

    @Test
    void preflightRefusesThePlanBeforeAnythingIsSent() throws IOException {
        PlanResult result = orchestrator.execute(plan(
                step(1, "record", "one"),
                step(2, "record", "two"),
                Step.builder(3, "Unknown").action("nowhere").build()));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.errorKind()).contains(ErrorKind.VALIDATION);
        assertThat(result.error())
                .hasValueSatisfying(
                        e -> assertThat(e).contains("step 3 (nowhere): the server 'no-such-server' is not configured"));
        assertThat(result.steps()).extracting(StepResult::status).containsOnly(StepStatus.NOT_RUN);
        assertThat(recorded()).isEmpty();
    }

    @Test
    void anErrorResultStopsThePlanAndLaterStepsDoNotRun() throws IOException {
        PlanResult result =
                orchestrator.execute(plan(step(1, "record", "one"), step(2, "fail", "x"), step(3, "record", "three")));

        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.NOT_RUN);
        assertThat(result.steps().get(1).errorKind()).contains(ErrorKind.TOOL_ERROR);
        assertThat(result.error()).contains("step 2 (fail): the tool failed on purpose");
        assertThat(recorded()).containsExactly("plan-1:step-1\tone");
    }

    @Test
    void aCheckedStepIsNotRunAgain() throws IOException {
        PlanResult result = orchestrator.execute(plan(
                Step.builder(1, "Do record")
                        .action("record")
                        .parameter("text", "done")
                        .checked(true)
                        .build(),
                step(2, "record", "two")));
        assertThat(result.steps())
                .extracting(StepResult::status)
                .containsExactly(StepStatus.ALREADY_DONE, StepStatus.SUCCEEDED);
        assertThat(recorded()).containsExactly("plan-1:step-2\ttwo");
    }

    @Test
    void aCallThatOutlivesItsTimeoutFailsAtTheTimeoutAndANonIdempotentOneNeedsReview() {
        assertThat(orchestrator
                        .execute(plan("warm-up", step(1, "echo", "warm up")))
                        .completed())
                .isTrue();
        Step slow =
                Step.builder(1, "Slow").action("slow").parameter("ms", 10_000).build();
        long start = System.nanoTime();
        PlanResult result = orchestrator.execute(plan(slow));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(result.status()).isEqualTo(PlanStatus.NEEDS_REVIEW);
        assertThat(result.steps().get(0).status()).isEqualTo(StepStatus.OUTCOME_UNKNOWN);
        assertThat(result.steps().get(0).errorKind()).contains(ErrorKind.TIMEOUT);
        assertThat(result.error())
                .hasValueSatisfying(e -> assertThat(e).contains("step 1").contains("a person must check"));
        // 800 ms configured, plus the client's 2 s margin; far below the tool's 10 s
        assertThat(took).isLessThan(Duration.ofSeconds(6));

        Step slowRead = Step.builder(1, "Slow read")
                .action("slow_read")
                .parameter("ms", 10_000)
                .build();
        PlanResult read = orchestrator.execute(plan("slow-read", slowRead));
        assertThat(read.status())
                .as("a read-only tool is retried, then the plan rescheduled")
                .isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(read.retryAfter()).isPresent();
        assertThat(read.steps().get(0).errorKind()).contains(ErrorKind.TIMEOUT);
        assertThat(read.steps().get(0).attempts()).isEqualTo(4);
    }

    @Test
    void aServerThatCrashesMidCallFailsTheStepAtOnceAndIsStartedAgainForTheNextPlan()
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        PlanResult crashed = orchestrator.execute(plan("crash", step(1, "crash", "x")));
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(crashed.status()).isIn(PlanStatus.FAILED, PlanStatus.NEEDS_REVIEW);
        assertThat(crashed.steps().get(0).errorKind()).contains(ErrorKind.UNAVAILABLE);
        assertThat(crashed.steps().get(0).message())
                .hasValueSatisfying(m -> assertThat(m).contains("3"));
        assertThat(took).isLessThan(Duration.ofSeconds(20));

        Thread.sleep(300); // the restart backoff after one breakdown: 100 ms in this test's settings
        PlanResult next = orchestrator.execute(plan(step(1, "record", "after the crash")));
        assertThat(next.status()).as(next.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(recorded()).containsExactly("plan-1:step-1\tafter the crash");
    }

    @Test
    void anUnapprovedOrExpiredPlanIsRefusedWithAnAlertAndNothingIsSent() throws IOException {
        Plan pending = plan(step(1, "record", "x")).toBuilder()
                .status(PlanStatus.PENDING)
                .build();
        PlanResult result = orchestrator.execute(pending);
        assertThat(result.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.errorKind()).contains(ErrorKind.APPROVAL);
        assertThat(result.error()).hasValueSatisfying(e -> assertThat(e).contains("status is pending, not approved"));

        Plan expired = plan(step(1, "record", "x")).toBuilder()
                .approval(Approval.builder()
                        .expiresAt(Instant.parse("2020-01-01T00:00:00Z"))
                        .build())
                .build();
        assertThat(orchestrator.execute(expired).error())
                .hasValueSatisfying(e -> assertThat(e).contains("the approval expired at 2020-01-01T00:00:00Z"));
        assertThat(alerts).hasSize(2).allMatch(a -> a.startsWith("APPROVAL "));
        assertThat(recorded()).isEmpty();
    }

    @Test
    void checkReportsActionDetectorRouteRedactedParametersAndEveryProblem() {
        Plan plan = Plan.builder("p")
                .status(PlanStatus.APPROVED)
                .approval(Approval.builder()
                        .approvedActions(Set.of("echo", "nowhere"))
                        .build())
                .step(Step.builder(1, "Echo")
                        .action("echo")
                        .parameter("text", "hi")
                        .parameter("api_key", "sk-123456")
                        .build())
                .step(Step.builder(2, "Record")
                        .action("record")
                        .parameter("text", "x")
                        .build())
                .step(Step.builder(3, "Nowhere").action("nowhere").build())
                .step(Step.builder(4, "Send email to client@example.com").build())
                .step(Step.builder(5, "Think about it").build())
                .build();
        CheckReport report = orchestrator.check(plan);

        StepCheck echo = report.steps().get(0);
        assertThat(echo.action()).contains("echo");
        assertThat(echo.detector()).contains("explicit");
        assertThat(echo.server()).contains("fault");
        assertThat(echo.tool()).contains("echo");
        assertThat(echo.arguments()).containsEntry("text", "hi").containsEntry("api_key", "***");
        assertThat(echo.problems()).isEmpty();
        assertThat(report.steps().get(1).problems())
                .extracting(Problem::code)
                .containsExactly(Problem.Code.ACTION_NOT_APPROVED);
        assertThat(report.steps().get(2).problems())
                .extracting(Problem::code)
                .containsExactly(Problem.Code.UNKNOWN_SERVER);
        StepCheck email = report.steps().get(3);
        assertThat(email.detector()).contains("default-phrases");
        assertThat(email.action()).contains("send_email");
        assertThat(email.problems())
                .extracting(Problem::code)
                .containsExactly(Problem.Code.ACTION_NOT_APPROVED, Problem.Code.UNKNOWN_SERVER);
        assertThat(report.steps().get(4).internal()).isTrue();
        assertThat(report.ok()).isFalse();
    }

    @Test
    void checkFindsParametersTheToolSchemaRefuses() {
        Plan plan = plan(
                Step.builder(1, "Slow").action("slow").parameter("ms", "soon").build());
        List<Problem> problems = orchestrator.check(plan).problems();
        assertThat(problems).extracting(Problem::code).containsExactly(Problem.Code.INVALID_PARAMETER);
        assertThat(problems.get(0).message()).contains("step 1 (slow)").contains("ms");
    }

    @Test
    void aToolTheServerAddsLaterIsUsableOnceItAnnouncesTheChangeWithoutARestart() throws InterruptedException {
        Plan grownPlan =
                plan(Step.builder(1, "Use the grown tool").action("grown").build());
        assertThat(orchestrator.check(grownPlan).problems())
                .extracting(p -> p.code())
                .containsExactly(Problem.Code.UNKNOWN_TOOL);

        assertThat(orchestrator
                        .execute(plan(
                                "grow", Step.builder(1, "Grow").action("grow").build()))
                        .status())
                .isEqualTo(PlanStatus.COMPLETED);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!orchestrator.check(grownPlan).problems().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        PlanResult result = orchestrator.execute(grownPlan);
        assertThat(result.status()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(result.steps().get(0).content()).contains("grown tool answered");
        assertThat(orchestrator.health())
                .singleElement()
                .satisfies(h -> assertThat(h.tools()).contains("grown"));
    }
}
