package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The states a SIGKILL leaves at each of the narrow moments {@link KillAndRestartTest} can only hit by
 * chance, built with the journal's own code, then met by a fresh store: each is completed exactly once.
 */
class CrashStateRecoveryTest {
    private static final Instant AT = Instant.parse("2026-12-01T08:00:00Z");
    private static final String STEP_1_LOG = AT + " step 1 record -> fault/record: succeeded (5 ms)";

    @TempDir
    Path vault;

    private static String plan(String status, String checkbox, String log) {
        return """
                ---
                plan_id: crashed
                status: %s
                ---
                # A plan whose process was killed

                ## Steps
                - [%s] Record the first
                  - action: record
                  - text: first
                - [%s] Record the second
                  - action: record
                  - text: second
                %s""".formatted(status, checkbox, checkbox, log);
    }

    private List<PlanResult> process(VaultPlanStore store) throws IOException {
        Path settings = Files.writeString(
                vault.resolve("settings.json"), "{ \"orchestrator\": { \"actions\": { \"record\": \"fault\" } } }");
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer(
                        "fault", "--log", vault.resolve("record.log").toString()))
                .discoverPlugins(getClass().getClassLoader())
                .build()) {
            return orchestrator.processReady(store);
        }
    }

    private List<String> recorded() throws IOException {
        Path log = vault.resolve("record.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private static long count(String text, String line) {
        return text.lines().filter(line::equals).count();
    }

    private List<String> dashboardLines() throws IOException {
        Path dashboard = vault.resolve("Dashboard.md");
        return Files.exists(dashboard)
                ? Files.readAllLines(dashboard).stream()
                        .filter(l -> l.startsWith("- "))
                        .toList()
                : List.of();
    }

    @Test
    void aStepJournaledBeforeThePlanFileHadItGetsItsLogLineOnResumeAndIsNotRunAgain() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Path file = Files.writeString(store.inProgressDir().resolve("crashed.md"), plan("in_progress", " ", ""));
        VaultJournal journal = VaultJournal.start(file).orElseThrow();
        journal.started(1, AT, false);
        journal.finished(1, StepStatus.SUCCEEDED, AT, STEP_1_LOG);
        journal.close(false); // killed here: before the checkbox and the log line reached the file

        process(VaultPlanStore.open(vault));

        String text = Files.readString(store.doneDir().resolve("crashed.md"));
        assertThat(count(text, "- " + STEP_1_LOG)).as("step 1's log line, once").isEqualTo(1);
        assertThat(text).contains("- [x] Record the first", "step 2 record -> fault/record: succeeded");
        assertThat(recorded())
                .as("only step 2 was sent")
                .singleElement()
                .satisfies(l -> assertThat(l).endsWith("second"));
    }

    @Test
    void aVerdictWrittenBeforeTheKillIsNotWrittenAgainAndThePlanNotRunAgain() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        String verdict = "- " + AT + " plan completed";
        Path file = Files.writeString(
                store.inProgressDir().resolve("crashed.md"),
                plan("completed", "x", "\n## Execution Log\n\n" + verdict + "\n"));
        VaultJournal journal = VaultJournal.start(file).orElseThrow();
        journal.finishing();
        journal.close(false); // killed after the verdict was written, before the move

        assertThat(process(VaultPlanStore.open(vault))).isEmpty();

        String text = Files.readString(store.doneDir().resolve("crashed.md"));
        assertThat(text.lines().filter(l -> l.contains(" plan completed"))).containsExactly(verdict);
        assertThat(recorded()).as("nothing sent again").isEmpty();
        assertThat(dashboardLines())
                .singleElement()
                .satisfies(l -> assertThat(l).endsWith("crashed: completed -> Done/crashed.md"));
        assertThat(store.inProgressDir()).isEmptyDirectory();
    }

    @Test
    void aPlanMovedBeforeItsDashboardLineGetsTheLineOnceAndItsJournalIsDeleted() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Path planned = store.inProgressDir().resolve("crashed.md");
        Files.writeString(store.doneDir().resolve("crashed.md"), plan("completed", "x", ""));
        String line = "- " + AT + " crashed: completed -> Done/crashed.md";
        VaultJournal journal = VaultJournal.start(planned).orElseThrow();
        journal.finishing();
        journal.moving(new VaultJournal.Move("Done/crashed.md", line));
        journal.close(false); // killed after the move, before the dashboard

        process(VaultPlanStore.open(vault));
        process(VaultPlanStore.open(vault));

        assertThat(dashboardLines()).containsExactly(line);
        assertThat(store.inProgressDir()).isEmptyDirectory();
    }

    @Test
    void aMoveCutBetweenItsLinkAndItsUnlinkEndsWithOneCopy() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Path file = Files.writeString(store.inProgressDir().resolve("crashed.md"), plan("completed", "x", ""));
        Files.createLink(store.doneDir().resolve("crashed.md"), file);
        String line = "- " + AT + " crashed: completed -> Done/crashed.md";
        VaultJournal journal = VaultJournal.start(file).orElseThrow();
        journal.finishing();
        journal.moving(new VaultJournal.Move("Done/crashed.md", line));
        journal.close(false); // killed between the link into Done/ and the unlink from In_Progress/

        process(VaultPlanStore.open(vault));

        assertThat(store.inProgressDir()).isEmptyDirectory();
        try (Stream<Path> done = Files.list(store.doneDir())) {
            assertThat(done).containsExactly(store.doneDir().resolve("crashed.md"));
        }
        assertThat(store.failedDir()).isEmptyDirectory();
        assertThat(dashboardLines()).containsExactly(line);
        assertThat(recorded()).isEmpty();
    }

    @Test
    void aClaimKilledAfterItsJournalBeforeItsMoveLeavesNothingBehind() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault, Clock.systemUTC(), Duration.ZERO);
        Files.writeString(store.approvedDir().resolve("crashed.md"), plan("approved", " ", ""));
        VaultJournal.start(store.inProgressDir().resolve("crashed.md"))
                .orElseThrow()
                .close(false); // killed after locking the claim's journal, before the plan's move

        process(store);

        assertThat(store.doneDir().resolve("crashed.md")).exists();
        assertThat(store.inProgressDir()).isEmptyDirectory();
        assertThat(recorded()).hasSize(2);
    }

    @Test
    void aPlanInProgressWithoutAJournalIsResumedAtOnce() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault);
        Files.writeString(store.inProgressDir().resolve("crashed.md"), plan("in_progress", " ", ""));

        process(store);

        assertThat(store.doneDir().resolve("crashed.md")).exists();
        assertThat(store.inProgressDir()).isEmptyDirectory();
        assertThat(recorded()).hasSize(2);
    }

    @Test
    void aClaimLeavesANameWhoseJournalIsHeldAndTakesTheNext() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault, Clock.systemUTC(), Duration.ZERO);
        Files.writeString(store.approvedDir().resolve("crashed.md"), plan("approved", " ", ""));
        Path taken = store.inProgressDir().resolve("crashed.md");
        VaultJournal held = VaultJournal.start(taken).orElseThrow(); // another claim of that name, under way
        try {
            Optional<Plan> claimed = store.claim("crashed.md");

            assertThat(claimed).isPresent();
            assertThat(claimed.get().source()).contains(store.inProgressDir().resolve("crashed-2.md"));
            assertThat(taken).doesNotExist();
            assertThat(VaultJournal.of(taken)).exists();
        } finally {
            held.close(true);
        }
    }

    @Test
    void temporaryFilesOfDeadProcessesAreDeletedAndThoseOfLiveOnesKept() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(30, TimeUnit.SECONDS)).isTrue();
        long dead = gone.pid();
        long live = ProcessHandle.current().pid();
        VaultPlanStore store = VaultPlanStore.open(vault);
        List<Path> stale = List.of(
                store.inProgressDir().resolve(".crashed.md." + dead + "-123.tmp"),
                store.inProgressDir().resolve(".journal-" + dead + "-456.tmp"),
                vault.resolve(".Dashboard.md." + dead + "-789.tmp"));
        Path kept = store.inProgressDir().resolve(".other.md." + live + "-1.tmp");
        for (Path p : stale) {
            Files.writeString(p, "half");
        }
        Files.writeString(kept, "being written");

        process(store);

        assertThat(stale).allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(kept).exists();
    }
}
