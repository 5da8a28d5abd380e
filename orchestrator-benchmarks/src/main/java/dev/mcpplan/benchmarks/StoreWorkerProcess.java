package dev.mcpplan.benchmarks;

import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One instance of the store benchmark, a process of its own: {@code URL MODE NAME LEASE_MS CONFIG STATE}.
 * It waits for the file {@code STATE/../go}, then works the queue until nothing is queued or running:
 * mode {@code claims} claims each plan and finishes it at once, four at a time (the store alone), mode
 * {@code plans} runs
 * each through an orchestrator on the bench server.
 */
public final class StoreWorkerProcess {
    private StoreWorkerProcess() {}

    public static void main(String[] args) throws Exception {
        String mode = args[1];
        Path state = Path.of(args[5]);
        try (JdbcPlanStore store = JdbcPlanStore.builder(args[0])
                        .user("postgres")
                        .instance(args[2])
                        .lease(Duration.ofMillis(Long.parseLong(args[3])))
                        .build();
                McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                        .config(Path.of(args[4]))
                        .discoverPlugins(StoreWorkerProcess.class.getClassLoader())
                        .stateDirectory(state)
                        .build()) {
            ExecutorService slots = Executors.newFixedThreadPool(4, r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
            while (!Files.exists(state.resolveSibling("go"))) {
                Thread.sleep(5);
            }
            while (true) {
                List<String> ready = store.ready();
                List<String> interrupted = store.interrupted();
                if (ready.isEmpty() && interrupted.isEmpty()) {
                    if (store.list().stream()
                            .noneMatch(e ->
                                    e.status().equals("running") || e.status().equals("queued"))) {
                        return;
                    }
                    store.awaitChange(Duration.ofMillis(100));
                } else if (mode.equals("claims")) {
                    // four at once, as an orchestrator's four plan slots would finish them
                    List<Future<?>> finished = new ArrayList<>();
                    for (String key : ready) {
                        finished.add(slots.submit(() -> store.claim(key)
                                .ifPresent(plan -> store.finish(
                                        plan,
                                        PlanResult.builder(plan.id(), PlanStatus.COMPLETED)
                                                .startedAt(Instant.now())
                                                .finishedAt(Instant.now())
                                                .build()))));
                    }
                    for (Future<?> f : finished) {
                        f.get();
                    }
                } else {
                    orchestrator.processReady(store);
                }
            }
        }
    }
}
