package dev.mcpplan.orchestrator.core.internal.engine;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Plans waiting to run, at most {@code concurrency} at once: the most urgent first ({@link Priority},
 * with ageing), then the one due first, then the one that came first. No thread per plan: at most
 * {@code concurrency} workers take from the queue, and end when it is empty.
 *
 * <p>Thread-safe.
 */
final class PlanQueue {
    private record Waiting(long seq, int level, Instant due, Instant since, Runnable run) {}

    private final int concurrency;
    private final Executor workers;
    private final Clock clock;
    private final List<Waiting> waiting = new ArrayList<>();
    private long seq;
    private int working;

    PlanQueue(int concurrency, Executor workers, Clock clock) {
        this.concurrency = concurrency;
        this.workers = workers;
        this.clock = clock;
    }

    /**
     * Queues a task; its future completes with the task's result, or its exception.
     *
     * @param level the plan's priority level ({@link Priority#level})
     * @param due when it may run at the earliest, for the order among plans of one rank; null for now
     */
    <T> CompletableFuture<T> submit(int level, Instant due, Supplier<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        Instant now = clock.instant();
        Runnable run = () -> {
            try {
                future.complete(task.get());
            } catch (RuntimeException | Error e) {
                future.completeExceptionally(e);
            }
        };
        boolean start;
        synchronized (this) {
            waiting.add(new Waiting(seq++, level, due == null ? now : due, now, run));
            start = working < concurrency;
            if (start) {
                working++;
            }
        }
        if (start) {
            workers.execute(this::work);
        }
        return future;
    }

    private void work() {
        while (true) {
            Waiting next;
            synchronized (this) {
                if (waiting.isEmpty()) {
                    working--;
                    return;
                }
                Instant now = clock.instant();
                // ranks move with time (ageing), so the order is taken anew at each pick, not kept in a heap
                next = waiting.stream()
                        .min(Comparator.comparingDouble((Waiting w) -> Priority.rank(w.level(), w.since(), now))
                                .thenComparing(Waiting::due)
                                .thenComparingLong(Waiting::seq))
                        .orElseThrow();
                waiting.remove(next);
            }
            next.run().run();
        }
    }
}
