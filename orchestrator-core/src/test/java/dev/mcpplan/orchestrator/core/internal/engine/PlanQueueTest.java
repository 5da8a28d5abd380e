package dev.mcpplan.orchestrator.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.core.testing.HandClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The plan queue: priority order with ageing, its bound, no thread per plan, and failures kept apart. */
class PlanQueueTest {
    private final ExecutorService workers = Executors.newCachedThreadPool();

    @AfterEach
    void close() {
        workers.shutdownNow();
    }

    /** Holds the queue's only worker until released, so that what is submitted meanwhile waits. */
    private static CompletableFuture<String> blocker(PlanQueue queue, CountDownLatch release) {
        return queue.submit(Priority.MEDIUM, null, () -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "blocker";
        });
    }

    @Test
    void theMostUrgentRunsFirstThenTheOneThatCameFirst() {
        PlanQueue queue = new PlanQueue(1, workers, Clock.systemUTC());
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<String>> all = new ArrayList<>(List.of(blocker(queue, release)));
        for (String word : List.of("low", "medium", "urgent", "high", "0", "critical", "normal")) {
            int level = Priority.level(word).orElseThrow();
            all.add(queue.submit(level, null, () -> {
                order.add(word);
                return word;
            }));
        }

        release.countDown();
        all.forEach(CompletableFuture::join);

        assertThat(order).containsExactly("urgent", "0", "critical", "high", "medium", "normal", "low");
    }

    @Test
    void aPlanThatWaitsLongGainsUrgencyAndIsNotLeftBehind() {
        HandClock clock = new HandClock(Instant.parse("2026-12-01T08:00:00Z"));
        PlanQueue queue = new PlanQueue(1, workers, clock);
        CountDownLatch release = new CountDownLatch(1);
        List<String> order = new CopyOnWriteArrayList<>();
        CompletableFuture<String> blocked = blocker(queue, release);
        CompletableFuture<String> low = queue.submit(3, null, () -> {
            order.add("low, waiting 20 minutes");
            return "";
        });
        clock.advance(Duration.ofMinutes(20));
        CompletableFuture<String> urgent = queue.submit(0, null, () -> {
            order.add("urgent, just come");
            return "";
        });

        release.countDown();
        CompletableFuture.allOf(blocked, low, urgent).join();

        assertThat(order).containsExactly("low, waiting 20 minutes", "urgent, just come");
    }

    @Test
    void atMostTheBoundRunAtOnceOnNoMoreThreadsThanThat() {
        PlanQueue queue = new PlanQueue(2, workers, Clock.systemUTC());
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        List<CompletableFuture<Integer>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int n = i;
            all.add(queue.submit(Priority.MEDIUM, null, () -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                threads.add(Thread.currentThread().getName());
                try {
                    Thread.sleep(n < 4 ? 200 : 0); // the first ones long enough for both workers to be busy
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                running.decrementAndGet();
                return n;
            }));
        }

        all.forEach(CompletableFuture::join);

        assertThat(most.get()).isEqualTo(2);
        assertThat(threads)
                .hasSizeLessThanOrEqualTo(2 * 2); // a worker ends when the queue is empty, and may start again
    }

    @Test
    void aTaskThatThrowsCompletesItsFutureSoAndTheQueueGoesOn() {
        PlanQueue queue = new PlanQueue(1, workers, Clock.systemUTC());
        CompletableFuture<String> broken = queue.submit(Priority.MEDIUM, null, () -> {
            throw new IllegalStateException("broken on purpose");
        });
        CompletableFuture<String> next = queue.submit(Priority.MEDIUM, null, () -> "next");

        assertThatThrownBy(broken::join)
                .isInstanceOf(CompletionException.class)
                .hasRootCauseMessage("broken on purpose");
        assertThat(next.join()).isEqualTo("next");
    }

    @Test
    void aPriorityIsOneOfTheWordsOrAWholeNumber() {
        assertThat(Priority.level(null)).contains(Priority.MEDIUM);
        assertThat(Priority.level(" High ")).contains(1);
        assertThat(Priority.level(7)).contains(7);
        assertThat(Priority.level("soon")).isEmpty();
        assertThat(Priority.level("-1")).isEmpty();
        assertThat(Priority.level("1001")).isEmpty();
    }
}
