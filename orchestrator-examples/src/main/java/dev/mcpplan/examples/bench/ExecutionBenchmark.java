package dev.mcpplan.examples.bench;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;

/**
 * Measures the orchestrator against the example {@code vault-watcher} server, next to the raw SDK client
 * with its own stdio transport on the same server, in the same run, and prints the figures:
 * <ul>
 *   <li>cold start: from {@code execute} to the first tool call, the server not yet started;</li>
 *   <li>raw SDK: the median of {@code callTool} through {@code McpClient.sync(new StdioClientTransport(...))};</li>
 *   <li>per step, in memory: the median time from one step's start to the next's, in plans of each size
 *       (default 100 and 2,000 steps), as a ratio to the raw call;</li>
 *   <li>per step in a vault: the same plans as files processed through the vault store (journal forced to
 *       disk twice per step, the plan file following it);</li>
 *   <li>the per-step cost of the long plans against the short ones: 1.00x is a cost flat in plan length.</li>
 * </ul>
 * Run: {@code java -cp orchestrator-examples/target/mcp-orchestrator.jar dev.mcpplan.examples.bench.ExecutionBenchmark [sizes] [rounds]}
 */
public final class ExecutionBenchmark {
    private ExecutionBenchmark() {}

    public static void main(String[] args) throws IOException {
        // the figures, not a line per call: quiet unless the caller asked for more
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int[] sizes = Arrays.stream((args.length > 0 ? args[0] : "100,2000").split(","))
                .mapToInt(Integer::parseInt)
                .toArray();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path vault = Files.createTempDirectory("bench-vault");
        Files.writeString(vault.resolve("note.md"), "# A note\nSome text to read back.\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> serverArgs = List.of(
                "-cp",
                System.getProperty("java.class.path"),
                "dev.mcpplan.examples.servers.VaultWatcherServer",
                "--vault",
                vault.toString());

        System.out.printf(
                "ExecutionBenchmark: plans of %s steps, %d rounds, Java %s, %d cores, load %s%n",
                Arrays.toString(sizes),
                rounds,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                loadAverage());
        double[][] memory = new double[sizes.length][rounds];
        double[][] inVault = new double[sizes.length][rounds];
        for (int round = 0; round < rounds; round++) {
            AtomicLong firstCall = new AtomicLong();
            List<Long> stepStarts = new CopyOnWriteArrayList<>();
            try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                    .server(ServerDefinition.builder("vault-watcher", ServerDefinition.STDIO)
                            .command(java)
                            .args(serverArgs)
                            .build())
                    .discoverPlugins(ExecutionBenchmark.class.getClassLoader())
                    .stateDirectory(vault.resolve(".state")) // a plan id runs once: each benchmark run starts afresh
                    .listener(new ExecutionListener() {
                        @Override
                        public void stepStarted(Plan plan, Step step, int attempt) {
                            firstCall.compareAndSet(0, System.nanoTime());
                            stepStarts.add(System.nanoTime());
                        }
                    })
                    .build()) {
                long start = System.nanoTime();
                require(orchestrator.execute(plan("cold-" + round, 1)));
                double coldMs = (firstCall.get() - start) / 1e6;
                double raw = percentile(rawSdk(java, serverArgs, 200), 50);
                double fsync = percentile(fsyncs(vault, 200), 50);
                StringBuilder line = new StringBuilder(String.format(
                        "round %d: cold start %6.1f ms | raw SDK callTool median %6.3f ms | a line appended and"
                                + " forced to disk %6.3f ms",
                        round + 1, coldMs, raw, fsync));
                for (int i = 0; i < sizes.length; i++) {
                    stepStarts.clear();
                    require(orchestrator.execute(plan("memory-" + round + "-" + sizes[i], sizes[i])));
                    double memoryMs = percentile(intervals(stepStarts), 50);
                    memory[i][round] = memoryMs / raw;
                    stepStarts.clear();
                    vaultSteps(orchestrator, vault, "vault-" + round + "-" + sizes[i], sizes[i]);
                    inVault[i][round] = percentile(intervals(stepStarts), 50);
                    line.append(String.format(
                            " | %d steps: in memory %.2fx raw, in a vault %6.3f ms (%.1fx raw; %.1f fsyncs more than in"
                                    + " memory)",
                            sizes[i],
                            memory[i][round],
                            inVault[i][round],
                            inVault[i][round] / raw,
                            (inVault[i][round] - memoryMs) / fsync));
                }
                System.out.println(line);
            }
        }
        for (int i = 1; i < sizes.length; i++) {
            System.out.printf(
                    "per step, %d steps against %d, medians of the rounds: in memory %.2fx, in a vault %.2fx%n",
                    sizes[i], sizes[0], median(memory[i]) / median(memory[0]), median(inVault[i]) / median(inVault[0]));
        }
    }

    /** The time to append a line to a file in the vault and force it to disk, as the journal does per write. */
    private static double[] fsyncs(Path vault, int count) throws IOException {
        Path file = vault.resolve(".bench-fsync");
        double[] times = new double[count];
        try (FileChannel channel = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                channel.write(
                        ByteBuffer.wrap(("started " + i + " 2026-12-01T08:00:00Z\n").getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
                times[i] = (System.nanoTime() - start) / 1e6;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return times;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The time from each step's start to the next's: the whole cost of a step, the orchestrator's included. */
    private static double[] intervals(List<Long> starts) {
        double[] between = new double[starts.size() - 1];
        for (int i = 1; i < starts.size(); i++) {
            between[i - 1] = (starts.get(i) - starts.get(i - 1)) / 1e6;
        }
        return between;
    }

    private static double median(double[] values) {
        return percentile(values, 50);
    }

    /**
     * The same plan as a file in the vault's {@code Approved/}, processed through the vault store: each
     * step also forces a journal line twice, and the plan file follows.
     */
    private static void vaultSteps(McpPlanOrchestrator orchestrator, Path vault, String id, int steps)
            throws IOException {
        StringBuilder text = new StringBuilder("---\nplan_id: " + id + "\n---\n# Benchmark\n\n## Steps\n");
        for (int i = 1; i <= steps; i++) {
            text.append("- [ ] Read from vault note.md\n  - path: note.md\n");
        }
        try (VaultPlanStore store = VaultPlanStore.open(vault)) {
            Files.writeString(store.approvedDir().resolve(id + ".md"), text);
            List<PlanResult> results = orchestrator.processReady(store);
            results.forEach(ExecutionBenchmark::require);
        }
    }

    private static Plan plan(String id, int steps) {
        Plan.Builder plan = Plan.builder(id).status(PlanStatus.APPROVED);
        for (int i = 1; i <= steps; i++) {
            plan.step(Step.builder(i, "Read from vault note.md")
                    .action("read_vault")
                    .parameter("path", "note.md")
                    .build());
        }
        return plan.build();
    }

    private static double[] rawSdk(String java, List<String> serverArgs, int calls) {
        McpSyncClient client = McpClient.sync(new StdioClientTransport(
                        ServerParameters.builder(java).args(serverArgs).build(),
                        new JacksonMcpJsonMapper(JsonMapper.builder().build())))
                .build();
        try {
            client.initialize();
            List<Double> times = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                long start = System.nanoTime();
                McpSchema.CallToolResult result = client.callTool(McpSchema.CallToolRequest.builder("read_vault")
                        .arguments(Map.of("path", "note.md"))
                        .build());
                times.add((System.nanoTime() - start) / 1e6);
                if (Boolean.TRUE.equals(result.isError())) {
                    throw new IllegalStateException("raw call failed: " + result.content());
                }
            }
            return times.stream().mapToDouble(Double::doubleValue).toArray();
        } finally {
            client.closeGracefully();
        }
    }

    private static void require(PlanResult result) {
        if (!result.completed()) {
            throw new IllegalStateException("benchmark plan did not complete: " + result);
        }
    }

    private static double percentile(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
