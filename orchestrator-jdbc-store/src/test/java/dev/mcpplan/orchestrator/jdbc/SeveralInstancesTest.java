package dev.mcpplan.orchestrator.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several orchestrator processes on one PostgreSQL, against a real server whose tool is not idempotent
 * (it appends every call to a file, duplicates too): one of them killed with SIGKILL or paused with
 * SIGSTOP in the middle of the work. No step may reach the server twice, no plan be lost or stuck, the
 * paused one may not write over the plans taken from it, and the audit chain must verify.
 */
class SeveralInstancesTest {
    private static final Duration LEASE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private String url;
    private Path config;
    private final List<Process> workers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        url = Database.fresh();
        config = Servers.config(
                dir.resolve("mcp.json"),
                Map.of("fault", Servers.faultServerEntry(Map.of(), "--log", sent().toString())),
                Map.of("actions", Map.of("send", "fault"), "backoff", "100ms"));
    }

    @AfterEach
    void stopWorkers() throws IOException, InterruptedException {
        for (int i = 0; i < workers.size(); i++) {
            Files.createDirectories(state(i));
            Files.writeString(state(i).resolve("stop"), "");
        }
        for (Process worker : workers) {
            if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
        }
    }

    private Path sent() {
        return dir.resolve("sent.log");
    }

    private Path state(int worker) {
        return dir.resolve("state-" + worker);
    }

    private Process worker(String name) throws IOException {
        int n = workers.size();
        Process p = new ProcessBuilder(
                        Servers.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                        StoreWorker.class.getName(),
                        url,
                        config.toString(),
                        name,
                        Long.toString(LEASE.toMillis()),
                        state(n).toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("worker-" + name + ".log").toFile())
                .start();
        workers.add(p);
        return p;
    }

    private void submit(int plans, int steps, int ms) {
        try (JdbcPlanStore store = JdbcPlanStore.builder(url).user("postgres").build()) {
            for (int p = 1; p <= plans; p++) {
                StringBuilder text = new StringBuilder(
                        "---\nplan_id: plan-" + p + "\nstatus: approved\n---\n# Plan " + p + "\n\n## Steps\n");
                for (int s = 1; s <= steps; s++) {
                    text.append("- [ ] Send ")
                            .append(s)
                            .append("\n  - action: send\n  - text: plan-")
                            .append(p)
                            .append("-")
                            .append(s)
                            .append("\n  - ms: ")
                            .append(ms)
                            .append('\n');
                }
                store.submit("plan-" + p + ".md", text.toString());
            }
        }
    }

    private long count(String where) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT count(*) FROM mcp_plan WHERE " + where)) {
            row.next();
            return row.getLong(1);
        }
    }

    /** Waits until {@code where} counts at least {@code at_least} plans; how long it took. */
    private Duration waitFor(String where, long atLeast, Duration limit) throws Exception {
        long start = System.nanoTime();
        while (count(where) < atLeast) {
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("waiting for %d plans with %s; workers' logs in %s", atLeast, where, dir)
                    .isLessThan(limit);
            Thread.sleep(50);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** How many times each idempotency key reached the server. */
    private Map<String, Long> calls() throws IOException {
        return Files.readAllLines(sent()).stream()
                .map(l -> l.substring(0, l.indexOf('\t')))
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    private void assertEveryPlanEndedAndNoStepRanTwice(int plans, int steps) throws Exception {
        waitFor("state IN ('completed', 'failed', 'needs_review')", plans, Duration.ofMinutes(4));
        assertThat(count("true")).as("no plan lost").isEqualTo(plans);
        Map<String, Long> calls = calls();
        assertThat(calls.values()).as("no step reached the server twice").allMatch(n -> n == 1);
        long review = count("state = 'needs_review'");
        assertThat(count("state = 'completed'") + review).isEqualTo(plans);
        assertThat(calls).hasSizeBetween(plans * steps - (int) review * steps, plans * steps);
        try (JdbcPlanStore store = JdbcPlanStore.builder(url).user("postgres").build()) {
            for (JdbcPlanStore.Entry e : store.list()) {
                if (e.status().equals("completed")) {
                    for (int s = 1; s <= steps; s++) {
                        assertThat(calls)
                                .as("step %d of completed %s", s, e.key())
                                .containsKey(e.key() + ":step-" + s);
                    }
                }
            }
            assertThat(new JdbcAuditSink(store, null).verify())
                    .satisfies(v ->
                            assertThat(v.intact()).as(v.problem().orElse("")).isTrue());
        }
    }

    @Test
    void threeInstancesShareAThousandPlansAndOneKilledIsTakenOver() throws Exception {
        int plans = 1000;
        submit(plans, 3, 0);
        worker("w1");
        Process killed = worker("w2");
        worker("w3");
        waitFor("state = 'completed' AND owner IS NULL", plans / 4, Duration.ofMinutes(3));
        waitFor("state = 'running' AND owner = 'w2'", 1, Duration.ofMinutes(1));

        killed.destroyForcibly(); // SIGKILL
        killed.waitFor();
        long start = System.nanoTime();
        while (count("owner = 'w2'") > 0) {
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("the killed instance's plans taken over within the lease and a few seconds")
                    .isLessThan(LEASE.plusSeconds(10));
            Thread.sleep(50);
        }
        System.out.printf(
                "taken over %d ms after the kill (lease %d ms)%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis(), LEASE.toMillis());

        assertEveryPlanEndedAndNoStepRanTwice(plans, 3);
        assertThat(count("runs > 1"))
                .as("the killed instance's plans ran again elsewhere")
                .isPositive();
        assertThat(count("state = 'needs_review'"))
                .as("at most the two plans the killed one was running")
                .isLessThanOrEqualTo(2);
    }

    @Test
    void aPausedInstanceDoesNotWriteOverThePlansTakenFromIt() throws Exception {
        int plans = 40;
        submit(plans, 2, 200);
        Process paused = worker("paused");
        waitFor("state = 'running' AND owner = 'paused'", 1, Duration.ofMinutes(1));
        Map<String, Long> fenceAtPause = fences("owner = 'paused'");
        signal(paused, "STOP");
        worker("other");
        long start = System.nanoTime();
        while (count("owner = 'paused'") > 0) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(LEASE.plusSeconds(10));
            Thread.sleep(50);
        }
        Thread.sleep(500); // the new owner at work on what it took over
        signal(paused, "CONT");

        assertEveryPlanEndedAndNoStepRanTwice(plans, 2);
        assertThat(fenceAtPause).isNotEmpty();
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement()) {
            for (Map.Entry<String, Long> held : fenceAtPause.entrySet()) {
                try (ResultSet rows = s.executeQuery("SELECT count(*) FROM mcp_plan_journal j WHERE plan_key = '"
                        + held.getKey() + "' AND fence <= " + held.getValue()
                        + " AND seq > (SELECT min(seq) FROM mcp_plan_journal WHERE plan_key = j.plan_key AND fence > "
                        + held.getValue() + ")")) {
                    rows.next();
                    assertThat(rows.getLong(1))
                            .as("rows the paused instance wrote for %s after it was taken over", held.getKey())
                            .isZero();
                }
            }
        }
    }

    private Map<String, Long> fences(String where) throws SQLException {
        Map<String, Long> fences = new HashMap<>();
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT plan_key, fence FROM mcp_plan WHERE " + where)) {
            while (rows.next()) {
                fences.put(rows.getString(1), rows.getLong(2));
            }
        }
        return fences;
    }

    private static void signal(Process process, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .inheritIO()
                .start();
        assertThat(kill.waitFor()).as("kill -%s %d", signal, process.pid()).isZero();
    }
}
