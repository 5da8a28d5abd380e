package dev.mcpplan.orchestrator.core.internal.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.spi.ApprovalLedger.Start;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger file on its own: which runs begin, which continue, races, torn lines. */
class FileLedgerTest {
    @TempDir
    Path dir;

    private FileLedger ledger() {
        return new FileLedger(dir.resolve("state/ledger.jsonl"), Clock.systemUTC());
    }

    private static Plan plan(String id, String file, String text) {
        return Plan.builder(id)
                .source(Path.of("/vault/In_Progress").resolve(file))
                .step(Step.builder(1, "Record")
                        .action("record")
                        .parameter("text", text)
                        .build())
                .build();
    }

    private static PlanResult result(Plan plan, PlanStatus status) {
        return PlanResult.builder(plan.id(), status).build();
    }

    @Test
    void aRescheduledRunContinuesFromItsOwnFileOnlyAndAFinishedOneNeverAgain() {
        FileLedger ledger = ledger();
        Plan plan = plan("p-1", "plan.md", "one");
        assertThat(ledger.begin(plan, Start.CLAIMED)).isEmpty();
        assertThat(ledger.begin(plan, Start.CLAIMED))
                .as("the same plan while it runs")
                .hasValueSatisfying(
                        m -> assertThat(m).contains("in use by another run").contains("still running"));
        assertThat(ledger.begin(plan, Start.RESUMED))
                .as("its interrupted run taken over")
                .isEmpty();

        ledger.end(plan, result(plan, PlanStatus.RETRY_SCHEDULED));
        assertThat(ledger.begin(plan("p-1", "copy.md", "one"), Start.CLAIMED))
                .as("a copy while the plan waits in the queue")
                .hasValueSatisfying(
                        m -> assertThat(m).contains("rescheduled at").contains("plan.md"));
        assertThat(ledger.begin(plan, Start.CLAIMED))
                .as("the rescheduled plan, when due")
                .isEmpty();

        ledger.end(plan, result(plan, PlanStatus.COMPLETED));
        assertThat(ledger.begin(plan, Start.CLAIMED))
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("its approval was already used")
                        .contains("/vault/In_Progress/plan.md")
                        .contains("outcome completed"));
        assertThat(ledger.begin(plan, Start.RESUMED)).isPresent();
        assertThat(ledger().begin(plan, Start.CLAIMED))
                .as("read again from the file")
                .isPresent();
        assertThat(ledger.begin(plan("p-1", "other.md", "other steps"), Start.CLAIMED))
                .hasValueSatisfying(m -> assertThat(m).contains("its plan id is taken by another plan"));
    }

    @Test
    void theSameSignatureUnderAnotherPlanIdIsRefusedAsTheSameApproval() {
        FileLedger ledger = ledger();
        Plan signed = plan("signed-1", "plan.md", "one").toBuilder()
                .approval(Approval.builder()
                        .approvalHash("v2:sha256:" + "a".repeat(64))
                        .signature("v2:hmac-sha256:" + "b".repeat(64))
                        .build())
                .build();
        assertThat(ledger.begin(signed, Start.CLAIMED)).isEmpty();
        ledger.end(signed, result(signed, PlanStatus.COMPLETED));

        Plan copy = plan("signed-2", "copy.md", "one").toBuilder()
                .approval(signed.approval())
                .build();
        assertThat(ledger().begin(copy, Start.CLAIMED))
                .hasValueSatisfying(m -> assertThat(m)
                        .contains("its approval (the same approval_signature) was already used by plan signed-1")
                        .contains("/vault/In_Progress/plan.md")
                        .contains("outcome completed"));
    }

    @Test
    void twoLedgersOnOneFileRacingFromManyThreadsBeginEachPlanOnce() throws Exception {
        List<FileLedger> ledgers = List.of(ledger(), ledger());
        int plans = 40;
        int threads = 8;
        ConcurrentHashMap<String, AtomicInteger> begun = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                FileLedger ledger = ledgers.get(t % 2);
                String copy = "copy-" + t + ".md";
                work.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < plans; i++) {
                        Plan plan = plan("race-" + i, copy, "same steps");
                        if (ledger.begin(plan, Start.CLAIMED).isEmpty()) {
                            begun.computeIfAbsent(plan.id(), k -> new AtomicInteger())
                                    .incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(begun).hasSize(plans);
        assertThat(begun.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(Files.readAllLines(dir.resolve("state/ledger.jsonl"))).hasSize(plans);
    }

    @Test
    void aLineTornByACrashIsIgnoredAndEndedBeforeTheNextOne() throws IOException {
        FileLedger first = ledger();
        Plan done = plan("done", "done.md", "one");
        assertThat(first.begin(done, Start.CLAIMED)).isEmpty();
        first.end(done, result(done, PlanStatus.COMPLETED));
        Path file = dir.resolve("state/ledger.jsonl");
        // a process died in the middle of writing the line that would have begun "torn"
        Files.writeString(
                file, "{\"at\":\"2026-03-02T10:00:00Z\",\"plan_id\":\"torn\",\"appr", StandardOpenOption.APPEND);

        FileLedger second = ledger();
        Plan torn = plan("torn", "torn.md", "two");
        assertThat(second.begin(done, Start.CLAIMED))
                .as("the lines before the torn one count")
                .isPresent();
        assertThat(second.begin(torn, Start.CLAIMED))
                .as("the torn line never took effect")
                .isEmpty();

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertThat(lines).hasSize(4);
        assertThat(lines.get(2)).endsWith("\"appr");
        assertThat(lines.get(3)).contains("\"plan_id\":\"torn\"").endsWith("}");
        assertThat(first.begin(torn, Start.CLAIMED))
                .as("the first ledger reads past the torn line")
                .map(m -> m.contains("in use by another run"))
                .isEqualTo(Optional.of(true));
    }
}
