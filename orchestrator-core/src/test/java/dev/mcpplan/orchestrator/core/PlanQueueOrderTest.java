package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue of plans with a real server: a vault's plans by priority, and plans submitted in code. */
class PlanQueueOrderTest {
    @TempDir
    Path dir;

    private final List<String> started = new CopyOnWriteArrayList<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger most = new AtomicInteger();

    private McpPlanOrchestrator orchestrator(int plans) throws IOException {
        Path settings = Files.writeString(dir.resolve("settings.json"), """
                { "orchestrator": { "maxConcurrentPlans": %d, "actions": { "slow_read": "fault" } } }
                """.formatted(plans));
        return McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer("fault"))
                .discoverPlugins(getClass().getClassLoader())
                .stateDirectory(dir.resolve("state"))
                .listener(new ExecutionListener() {
                    @Override
                    public void planStarted(Plan plan) {
                        started.add(plan.id());
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    }

                    @Override
                    public void planFinished(Plan plan, PlanResult result) {
                        running.decrementAndGet();
                    }
                })
                .build();
    }

    private static String plan(String id, String priority, int ms) {
        return """
                ---
                plan_id: %s
                status: approved
                %s
                ---
                # Queue

                ## Steps
                - [ ] Read slowly
                  - action: slow_read
                  - ms: %d
                """.formatted(id, priority == null ? "" : "priority: " + priority, ms);
    }

    @Test
    void aVaultsPlansRunMostUrgentFirstWhateverTheirAge() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(dir.resolve("vault"), Clock.systemUTC(), Duration.ZERO);
        Files.writeString(store.approvedDir().resolve("a-low.md"), plan("low", "low", 10));
        Files.writeString(store.approvedDir().resolve("b-none.md"), plan("none", null, 10));
        Files.writeString(store.approvedDir().resolve("c-urgent.md"), plan("urgent", "urgent", 10));
        Files.writeString(store.approvedDir().resolve("d-high.md"), plan("high", "1", 10));

        List<PlanResult> results;
        try (McpPlanOrchestrator orchestrator = orchestrator(1)) {
            results = orchestrator.processReady(store);
        }

        assertThat(results).extracting(PlanResult::status).containsOnly(PlanStatus.COMPLETED);
        assertThat(started).containsExactly("urgent", "high", "none", "low");
    }

    @Test
    void plansSubmittedInCodeRunSeveralAtOnceAndEachFutureGetsItsResult() throws IOException {
        try (McpPlanOrchestrator orchestrator = orchestrator(2)) {
            List<CompletableFuture<PlanResult>> futures = new java.util.ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                Path file = Files.writeString(dir.resolve("plan-" + i + ".md"), plan("submitted-" + i, null, 300));
                futures.add(orchestrator.submit(orchestrator.parse(file)));
            }

            List<PlanResult> results =
                    futures.stream().map(CompletableFuture::join).toList();

            assertThat(results)
                    .extracting(PlanResult::planId)
                    .containsExactly(
                            "submitted-1", "submitted-2", "submitted-3", "submitted-4", "submitted-5", "submitted-6");
            assertThat(results).extracting(PlanResult::status).containsOnly(PlanStatus.COMPLETED);
            assertThat(most.get()).as("plans running at once").isEqualTo(2);
        }
    }
}
