package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.testing.ClaimWorker;
import dev.mcpplan.orchestrator.core.testing.CrashWorker;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One approval, one run: a plan file dropped into {@code Approved/} again, a copy under its plan id or
 * (signed) under a new one, two files with one plan id, a plan run twice in code, and two processes
 * racing on copies are refused, each naming the earlier run; a rescheduled plan and a resumed one
 * continue their run. Real vault, real fault server over stdio, real processes.
 */
class ApprovalLedgerTest {
    private static final String KEY = "ledger-test-signing-key-of-32-bytes-or-more";

    @TempDir
    Path vault;

    private final List<String> alerts = new CopyOnWriteArrayList<>();
    private McpPlanOrchestrator orchestrator;
    private VaultPlanStore store;

    @AfterEach
    void close() {
        if (orchestrator != null) {
            orchestrator.close();
        }
    }

    /** A plan file; each step is {@code "action parameter value"}. */
    private static String plan(String id, String... steps) {
        StringBuilder text = new StringBuilder("""
                ---
                type: plan
                plan_id: %s
                status: approved
                approved_by: user@company.com
                ---
                # Ledger test

                ## Steps
                """.formatted(id));
        for (String step : steps) {
            String[] actionKeyValue = step.split(" ", 3);
            text.append("- [ ] Do ")
                    .append(actionKeyValue[0])
                    .append("\n  - action: ")
                    .append(actionKeyValue[0])
                    .append("\n  - ")
                    .append(actionKeyValue[1])
                    .append(": ")
                    .append(actionKeyValue[2])
                    .append('\n');
        }
        return text.toString();
    }

    private Path settings(String approval) throws IOException {
        Path settings = vault.resolve("settings.json");
        Files.writeString(settings, """
                { "orchestrator": { "backoff": "100ms", "approval": %s,
                    "actions": { "record": "fault", "rate_limit_once": "fault", "slow_read": "fault" } } }
                """.formatted(approval));
        return settings;
    }

    private McpPlanOrchestrator orchestrator(String approval) throws IOException {
        store = VaultPlanStore.open(vault);
        orchestrator = McpPlanOrchestrator.builder()
                .environment(Map.of("APPROVAL_KEY", KEY))
                .config(settings(approval))
                .server(Servers.faultServer("fault", "--log", recordLog().toString()))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(vault.resolve("state"))
                .auditLog(store.logsDir())
                .listener(Servers.alertsInto(alerts))
                .build();
        return orchestrator;
    }

    private McpPlanOrchestrator orchestrator() throws IOException {
        return orchestrator("{}");
    }

    private Path recordLog() {
        return vault.resolve("record.log");
    }

    private List<String> recorded() throws IOException {
        return Files.exists(recordLog()) ? Files.readAllLines(recordLog()) : List.of();
    }

    private PlanResult runOne() {
        List<PlanResult> results = orchestrator.processReady(store);
        assertThat(results).hasSize(1);
        return results.get(0);
    }

    /** The plan was refused as a repeat of a completed run of {@code earlierFile}, and raised an alert. */
    private void assertRefusedAsRepeatOf(PlanResult result, String earlierFile, String why) {
        assertThat(result.status()).as(result.toString()).isEqualTo(PlanStatus.FAILED);
        assertThat(result.errorKind()).contains(ErrorKind.APPROVAL);
        assertThat(result.error())
                .hasValueSatisfying(e -> assertThat(e)
                        .contains("refused as a repeat")
                        .contains(why)
                        // the folder's path as the redactor shows it: a temp folder's long digit run may be masked
                        .containsPattern("from \\S*/In_Progress/" + java.util.regex.Pattern.quote(earlierFile) + ",")
                        .contains("outcome completed at"));
        assertThat(alerts).anySatisfy(a -> assertThat(a).startsWith("APPROVAL ").contains(why));
    }

    @Test
    void theSamePlanFileDroppedIntoApprovedAgainIsRefusedNamingTheFirstRun() throws IOException {
        orchestrator();
        String plan = plan("ledger-1", "record text one");
        Files.writeString(store.approvedDir().resolve("plan.md"), plan);
        assertThat(runOne().status()).isEqualTo(PlanStatus.COMPLETED);

        Files.writeString(store.approvedDir().resolve("plan.md"), plan);
        assertRefusedAsRepeatOf(runOne(), "plan.md", "its approval was already used");

        assertThat(recorded()).containsExactly("ledger-1:step-1\tone");
        assertThat(Files.readString(store.failedDir().resolve("plan.md"))).contains("refused as a repeat");
    }

    @Test
    void aCopyWithTheSamePlanIdIsRefused() throws IOException {
        orchestrator();
        String plan = plan("ledger-2", "record text one");
        Files.writeString(store.approvedDir().resolve("plan.md"), plan);
        assertThat(runOne().status()).isEqualTo(PlanStatus.COMPLETED);

        Files.writeString(store.approvedDir().resolve("copy of plan.md"), plan);
        assertRefusedAsRepeatOf(runOne(), "plan.md", "its approval was already used");
        assertThat(recorded()).containsExactly("ledger-2:step-1\tone");
    }

    @Test
    void aSignedCopyUnderANewPlanIdIsRefusedAsTheSameApproval() throws IOException {
        orchestrator("{ \"signingKey\": \"${APPROVAL_KEY}\" }");
        Path file = store.approvedDir().resolve("plan.md");
        Files.writeString(file, plan("ledger-3", "record text one"));
        PlanApprover.approve(
                file,
                "user@company.com",
                Duration.ofHours(1),
                null,
                KEY.getBytes(StandardCharsets.UTF_8),
                Clock.systemUTC());
        String signed = Files.readString(file);
        assertThat(runOne().status()).isEqualTo(PlanStatus.COMPLETED);

        Files.writeString(
                store.approvedDir().resolve("again.md"),
                signed.replace("plan_id: ledger-3", "plan_id: ledger-3-again"));
        // the v2 seal covers the plan id, so the seal check refuses the copy before the ledger is asked;
        // FileLedgerTest covers the ledger's own refusal of a signature seen under another plan id
        PlanResult copy = runOne();
        assertThat(copy.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(copy.errorKind()).contains(ErrorKind.APPROVAL);
        assertThat(alerts).anySatisfy(a -> assertThat(a).startsWith("APPROVAL "));
        assertThat(recorded()).containsExactly("ledger-3:step-1\tone");
    }

    @Test
    void ofTwoFilesWithOnePlanIdOnlyOneRuns() throws IOException {
        orchestrator();
        Files.writeString(store.approvedDir().resolve("a.md"), plan("ledger-4", "record text from a"));
        Files.writeString(store.approvedDir().resolve("b.md"), plan("ledger-4", "record text from b"));
        List<PlanResult> results = orchestrator.processReady(store);

        // two plans run at once by default: whichever began first runs, the other is refused
        assertThat(results)
                .extracting(PlanResult::status)
                .containsExactlyInAnyOrder(PlanStatus.COMPLETED, PlanStatus.FAILED);
        String first = recorded().get(0).endsWith("from a") ? "a.md" : "b.md";
        PlanResult refused = results.stream()
                .filter(r -> r.status() == PlanStatus.FAILED)
                .findFirst()
                .orElseThrow();
        assertThat(refused.errorKind()).contains(ErrorKind.APPROVAL);
        assertThat(refused.error())
                .hasValueSatisfying(e -> assertThat(e)
                        .contains("refused as a repeat: its plan id is taken by another plan")
                        .containsPattern("from \\S*/In_Progress/" + first + ", (still running|outcome completed)"));
        assertThat(recorded()).hasSize(1);
    }

    @Test
    void aRescheduledPlanRunsAgainWhenDueAndContinuesItsRun() throws IOException {
        orchestrator();
        String plan = plan("ledger-5", "record text one", "rate_limit_once text two", "record text three");
        Files.writeString(store.approvedDir().resolve("plan.md"), plan);
        PlanResult first = runOne();
        assertThat(first.status()).as(first.toString()).isEqualTo(PlanStatus.RETRY_SCHEDULED);
        assertThat(store.approvedDir().resolve("plan.md")).exists();

        // a store whose clock is past the retry_after sees the plan as due
        store = VaultPlanStore.open(vault, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(5)));
        PlanResult second = runOne();
        assertThat(second.status()).as(second.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(recorded()).containsExactly("ledger-5:step-1\tone", "ledger-5:step-3\tthree");

        Files.writeString(store.approvedDir().resolve("copy.md"), plan);
        assertRefusedAsRepeatOf(runOne(), "plan.md", "its approval was already used");
    }

    @Test
    void aPlanResumedAfterItsProcessWasKilledContinuesItsRun() throws Exception {
        store = VaultPlanStore.open(vault);
        String plan = plan("ledger-6", "record text one", "slow_read ms 3000", "record text three");
        Files.writeString(store.approvedDir().resolve("plan.md"), plan);
        Process worker = new ProcessBuilder(
                        Servers.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        CrashWorker.class.getName(),
                        vault.toString(),
                        settings("{}").toString(),
                        recordLog().toString())
                .redirectErrorStream(true)
                .redirectOutput(vault.resolve("worker.out").toFile())
                .start();
        Path running = store.inProgressDir().resolve("plan.md");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!stepOneChecked(running) && worker.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(recorded()).as("step 1 done by the worker").containsExactly("ledger-6:step-1\tone");
        worker.destroyForcibly(); // step 1 is recorded as done; step 2, 3 s long, is about to start or running
        assertThat(worker.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(running).exists();

        orchestrator();
        PlanResult resumed = runOne();
        assertThat(resumed.status()).as(resumed.toString()).isEqualTo(PlanStatus.COMPLETED);
        assertThat(recorded()).containsExactly("ledger-6:step-1\tone", "ledger-6:step-3\tthree");

        Files.writeString(store.approvedDir().resolve("copy.md"), plan);
        assertRefusedAsRepeatOf(runOne(), "plan.md", "its approval was already used");
    }

    private static boolean stepOneChecked(Path file) {
        try {
            return Files.readString(file).contains("- [x] Do record");
        } catch (IOException stillMoving) {
            return false;
        }
    }

    @Test
    void aPlanHandedOverInCodeRunsOnceAcrossOrchestratorsOnOneStateDirectory() throws IOException {
        Plan plan = Plan.builder("in-code-1")
                .status(PlanStatus.APPROVED)
                .step(Step.builder(1, "Record")
                        .action("record")
                        .parameter("text", "one")
                        .build())
                .build();
        assertThat(orchestrator().execute(plan).status()).isEqualTo(PlanStatus.COMPLETED);

        PlanResult again = orchestrator.execute(plan);
        assertThat(again.status()).isEqualTo(PlanStatus.FAILED);
        assertThat(again.errorKind()).contains(ErrorKind.APPROVAL);
        assertThat(again.error())
                .hasValueSatisfying(e -> assertThat(e)
                        .contains("its approval was already used")
                        .contains("from (handed over in code)")
                        .contains("outcome completed at"));
        orchestrator.close();

        PlanResult inAnother = orchestrator().execute(plan);
        assertThat(inAnother.errorKind())
                .as("a new orchestrator on the same state")
                .contains(ErrorKind.APPROVAL);
        assertThat(recorded()).containsExactly("in-code-1:step-1\tone");
        assertThat(vault.resolve("state/ledger.jsonl")).exists();
    }

    @Test
    void twoOrchestratorProcessesRacingOnCopiesOfEachPlanRunEachApprovalOnce() throws Exception {
        store = VaultPlanStore.open(vault);
        int plans = 20;
        for (int i = 1; i <= plans; i++) {
            for (String copy : List.of("a", "b")) {
                Files.writeString(
                        store.approvedDir().resolve("race-" + i + "-" + copy + ".md"),
                        plan("race-" + i, "record text race-" + i));
            }
        }
        Path settings = settings("{}");
        List<Process> workers = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            workers.add(ClaimWorker.command(vault, settings, recordLog(), name)
                    .redirectErrorStream(true)
                    .redirectOutput(vault.resolve("worker-" + name + ".out").toFile())
                    .start());
        }
        for (Process worker : workers) {
            assertThat(worker.waitFor(180, TimeUnit.SECONDS)).isTrue();
            assertThat(worker.exitValue()).isZero();
        }

        assertThat(recorded()).hasSize(plans).doesNotHaveDuplicates();
        assertThat(files(store.doneDir())).hasSize(plans);
        List<Path> failed = files(store.failedDir());
        assertThat(failed).hasSize(plans);
        for (Path file : failed) {
            assertThat(Files.readString(file)).as(file.toString()).contains("refused as a repeat");
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".md")).toList();
        }
    }
}
