package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.core.testing.CrashWorker;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery for real: an orchestrator process runs plans against a slow server and is killed with
 * SIGKILL at random moments (seeded, so a failure can be replayed), then started again, many times.
 * Afterwards every plan has ended in Done/, Failed/ or Needs_Review/, intact, and no e-mail was sent
 * twice: the sending tool has no duplicate detection of its own, so a repeated call would show.
 */
class KillAndRestartTest {
    private static final long SEED = 20261124L;
    private static final int PLANS = 20;
    private static final int KILLS = 15;

    @TempDir
    Path vault;

    private static String plan(int n) {
        return """
                ---
                plan_id: crash-%d
                ---
                # Plan %d

                ## Steps
                - [ ] Send the first e-mail
                  - action: send
                  - text: plan-%d-first
                  - ms: 150
                - [ ] Read something slowly
                  - action: slow_read
                  - ms: 200
                - [ ] Send the second e-mail
                  - action: send
                  - text: plan-%d-second
                  - ms: 150
                """.formatted(n, n, n, n);
    }

    private Process worker(Path settings, Path log) throws IOException {
        return new ProcessBuilder(
                        Servers.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        CrashWorker.class.getName(),
                        vault.toString(),
                        settings.toString(),
                        log.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(vault.resolve("worker.err").toFile())
                .start();
    }

    private List<Path> plansIn(String folder) throws IOException {
        try (Stream<Path> files = Files.list(vault.resolve(folder))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .sorted()
                    .toList();
        }
    }

    @Test
    void killedAtRandomAndRestartedItNeverLosesAPlanNorSendsAnEmailTwice() throws Exception {
        VaultPlanStore store = VaultPlanStore.open(vault);
        for (int n = 1; n <= PLANS; n++) {
            Files.writeString(store.approvedDir().resolve("plan-" + n + ".md"), plan(n));
        }
        Path settings = vault.resolve("settings.json");
        Files.writeString(settings, """
                { "orchestrator": { "backoff": "100ms", "timeout": "5s",
                    "actions": { "send": "fault", "slow_read": "fault" } } }""");
        Path log = vault.resolve("sent.log");
        Random random = new Random(SEED);

        int runs = 0;
        int kills = 0;
        while (kills < KILLS) {
            Process worker = worker(settings, log);
            runs++;
            long wait = 900 + random.nextInt(2_000);
            if (worker.waitFor(wait, TimeUnit.MILLISECONDS)) {
                assertThat(worker.exitValue()).as("worker exit; see worker.err").isZero();
                break; // everything done before the kill came
            }
            worker.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
            assertThat(worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
            kills++;
        }
        Process last = worker(settings, log);
        runs++;
        assertThat(last.waitFor(120, TimeUnit.SECONDS))
                .as("the last run finishes")
                .isTrue();
        assertThat(last.exitValue()).as("last worker exit; see worker.err").isZero();

        List<String> sent = Files.exists(log) ? Files.readAllLines(log) : List.of();
        Map<String, Integer> times = new HashMap<>();
        sent.forEach(line -> times.merge(line, 1, Integer::sum));
        List<String> duplicates = new ArrayList<>();
        times.forEach((line, n) -> {
            if (n > 1) {
                duplicates.add(line + " x" + n);
            }
        });
        List<Path> done = plansIn("Done");
        List<Path> failed = plansIn("Failed");
        List<Path> review = plansIn("Needs_Review");
        System.out.printf(
                "kill-and-restart: seed %d, runs %d, kills %d, plans %d: done %d, failed %d,"
                        + " needs review %d; e-mails sent %d, duplicates %d%n",
                SEED, runs, kills, PLANS, done.size(), failed.size(), review.size(), sent.size(), duplicates.size());

        assertThat(kills).as("the test killed the orchestrator mid-run").isPositive();
        assertThat(duplicates).as("e-mails sent twice").isEmpty();
        assertThat(plansIn("Approved")).isEmpty();
        assertThat(plansIn("In_Progress")).isEmpty();
        assertThat(done.size() + failed.size() + review.size()).isEqualTo(PLANS);
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            for (Path p : Stream.of(done, failed, review).flatMap(List::stream).toList()) {
                Plan plan = parser.parse(p);
                assertThat(plan.steps()).as(p + " intact").hasSize(3);
            }
        }
        for (Path p : done) {
            assertThat(Files.readString(p))
                    .as(p.toString())
                    .contains("- [x] Send the first e-mail")
                    .contains("- [x] Send the second e-mail");
        }
        for (Path p : review) {
            assertThat(Files.readString(p)).as(p.toString()).contains("a person must check");
        }
        assertThat(sent).as("every e-mail of a completed plan was sent").hasSizeGreaterThanOrEqualTo(done.size() * 2);
    }
}
