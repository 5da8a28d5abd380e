package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.testing.CrashWorker;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash recovery for real: an orchestrator process runs plans (half of them in parallel mode, two steps
 * at once) against a slow server and is killed with
 * SIGKILL at random moments (seeded, so a failure can be replayed), then started again, many times.
 * Half of the kills come after a random time; the others as a temporary file appears in
 * {@code In_Progress/} or a plan lands in {@code Done/}, which is where the narrow windows are (between
 * a journal write and the plan file's, between the verdict and the move, between the move and the
 * dashboard).
 * Afterwards every plan has ended in Done/, Failed/ or Needs_Review/, intact; no e-mail was sent twice
 * (the sending tool has no duplicate detection of its own, so a repeated call would show); nothing of
 * a dead process is left (no temporary file, no journal); each plan has its verdict line once and an
 * Execution Log line for each step it checked; the dashboard has each plan's line exactly once.
 */
class KillAndRestartTest {
    private static final long SEED = 20261124L;
    private static final int PLANS = 50;
    private static final int KILLS = 60;
    /** Kills stop after this, so that the whole test stays near a minute and a half on a loaded machine. */
    private static final long KILLING_NANOS = TimeUnit.SECONDS.toNanos(40);

    private static final Pattern VERDICT =
            Pattern.compile("(?m)^- \\S+ plan (completed|failed|needs_review|retry_scheduled)\\b.*$");

    @TempDir
    Path vault;

    /** Every other plan runs in parallel mode: its two e-mails at once, the slow read after the first. */
    private static String plan(int n) {
        boolean parallel = n % 2 == 0;
        return """
                ---
                plan_id: crash-%d
                execution: %s
                ---
                # Plan %d

                ## Steps
                - [ ] Send the first e-mail
                  - action: send
                  - text: plan-%d-first
                  - ms: 60
                - [ ] Read something slowly
                  - action: slow_read
                  - ms: 100
                  - depends_on: 1
                - [ ] Send the second e-mail
                  - action: send
                  - text: plan-%d-second
                  - ms: 60
                %s""".formatted(n, parallel ? "parallel" : "sequential", n, n, n, parallel ? "" : "  - depends_on: 2\n");
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

    private List<String> hiddenIn(String folder) throws IOException {
        try (Stream<Path> files = Files.list(vault.resolve(folder))) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("."))
                    .sorted()
                    .toList();
        }
    }

    /**
     * Waits until the moment this kill is meant for: a random time; the {@code n}th write to a journal
     * in {@code In_Progress/} (a step about to be sent, or just finished and its plan file write to come,
     * or the verdict or the last move about to happen); or a plan's arrival in {@code Done/} (its move
     * under way, its dashboard line not yet written). False if the worker ended first.
     */
    private static boolean awaitMoment(Process worker, WatchService events, Random random) throws Exception {
        int mode = random.nextInt(4);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700 + random.nextInt(2_000));
        if (mode < 2) {
            return !worker.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        for (WatchKey stale = events.poll(); stale != null; stale = events.poll()) {
            stale.pollEvents();
            stale.reset();
        }
        int target = 1 + random.nextInt(14);
        int seen = 0;
        deadline += TimeUnit.MILLISECONDS.toNanos(1_500); // the worker must start before events come
        while (worker.isAlive() && System.nanoTime() < deadline) {
            WatchKey key = events.poll(20, TimeUnit.MILLISECONDS);
            if (key == null) {
                continue;
            }
            String folder = ((Path) key.watchable()).getFileName().toString();
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.kind() != StandardWatchEventKinds.ENTRY_CREATE) {
                    continue;
                }
                boolean moment = mode == 2
                        ? folder.equals("In_Progress")
                                && event.context().toString().endsWith(".tmp")
                                && ++seen >= target
                        : folder.equals("Done");
                if (moment) {
                    return true;
                }
            }
            key.reset();
        }
        return worker.isAlive();
    }

    /** What the kills left for the next process to clean up: how often the test hit the narrow windows. */
    private static final class LeftBehind {
        int temporaryFiles;
        int orphanJournals;
        int unmovedVerdicts;
        int unloggedSteps;

        void count(VaultPlanStore store) throws IOException {
            try (Stream<Path> files = Files.list(store.inProgressDir())) {
                for (Path p : files.toList()) {
                    String name = p.getFileName().toString();
                    if (name.endsWith(".tmp")) {
                        temporaryFiles++;
                    } else if (name.endsWith(".journal")
                            && !Files.exists(
                                    p.resolveSibling(name.substring(1, name.length() - ".journal".length())))) {
                        orphanJournals++;
                    } else if (name.endsWith(".md")) {
                        String text = Files.readString(p);
                        if (VERDICT.matcher(text).find()) {
                            unmovedVerdicts++;
                        }
                        Path journal = p.resolveSibling("." + name + ".journal");
                        if (Files.exists(journal)) {
                            for (String line : Files.readAllLines(journal)) {
                                String[] f = line.split(" ", 5);
                                if (f[0].equals("finished") && f.length == 5 && !text.contains("- " + f[4])) {
                                    unloggedSteps++;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void killedAtRandomAndRestartedItNeverLosesAPlanNorSendsAnEmailTwiceAndLeavesACleanVault() throws Exception {
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
        LeftBehind left = new LeftBehind();
        long start = System.nanoTime();
        try (WatchService events = vault.getFileSystem().newWatchService()) {
            for (Path folder : List.of(store.inProgressDir(), store.doneDir())) {
                folder.register(events, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            }
            while (kills < KILLS && System.nanoTime() - start < KILLING_NANOS) {
                Process worker = worker(settings, log);
                runs++;
                if (!awaitMoment(worker, events, random)) {
                    assertThat(worker.exitValue())
                            .as("worker exit; see worker.err")
                            .isZero();
                    break; // everything done before the kill came
                }
                worker.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
                assertThat(worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
                kills++;
                left.count(store);
            }
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
        System.out.printf(
                "kill-and-restart: the kills left %d temporary files, %d journals of plans that had moved on,"
                        + " %d verdicts not yet followed by the move, %d journaled steps not yet in the plan file%n",
                left.temporaryFiles, left.orphanJournals, left.unmovedVerdicts, left.unloggedSteps);

        assertThat(kills).as("the test killed the orchestrator mid-run").isGreaterThanOrEqualTo(10);
        assertThat(duplicates).as("e-mails sent twice").isEmpty();
        assertThat(plansIn("Approved")).isEmpty();
        assertThat(plansIn("In_Progress")).isEmpty();
        assertThat(hiddenIn("In_Progress"))
                .as("temporary files and journals left behind")
                .isEmpty();
        assertThat(hiddenIn(".")).as("temporary files left behind").noneMatch(n -> n.endsWith(".tmp"));
        assertThat(done.size() + failed.size() + review.size()).isEqualTo(PLANS);

        List<String> dashboard = Files.readAllLines(vault.resolve("Dashboard.md"));
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            for (Path p : Stream.of(done, failed, review).flatMap(List::stream).toList()) {
                Plan plan = parser.parse(p);
                String text = Files.readString(p);
                List<String> lines = text.lines().toList();
                assertThat(plan.steps()).as(p + " intact").hasSize(3);
                String status = String.valueOf(plan.frontMatter().get("status"));
                // a plan rescheduled (a server too slow to start on a loaded machine) has a verdict per run
                assertThat(lines.stream()
                                .map(VERDICT::matcher)
                                .filter(m -> m.matches() && m.group(1).equals(status)))
                        .as(p + ": its verdict line, once")
                        .hasSize(1);
                for (Step step : plan.steps()) {
                    if (step.checked()) {
                        assertThat(lines)
                                .as(p + ": a log line for checked step " + step.number())
                                .anyMatch(l -> l.startsWith("- ")
                                        && l.contains(" step " + step.number() + " ")
                                        && l.contains(": succeeded"));
                    }
                }
                String where = vault.relativize(p).toString();
                assertThat(dashboard.stream().filter(l -> l.endsWith(" -> " + where)))
                        .as("the dashboard line of " + where + ", once")
                        .hasSize(1);
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
