package dev.mcpplan.examples.bench;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
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
import java.nio.file.Files;
import java.nio.file.Path;
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
 *   <li>per step: the median and 90th percentile of a step in a plan of N steps (default 100);</li>
 *   <li>per step in a vault: the same plan as a file processed through the vault store (journal forced to
 *       disk twice per step, plan file rewritten atomically), from one step's start to the next;</li>
 *   <li>raw SDK: the median of {@code callTool} through {@code McpClient.sync(new StdioClientTransport(...))}.</li>
 * </ul>
 * Run: {@code java -cp orchestrator-examples/target/mcp-orchestrator.jar dev.mcpplan.examples.bench.ExecutionBenchmark [steps] [rounds]}
 */
public final class ExecutionBenchmark {
    private ExecutionBenchmark() {}

    public static void main(String[] args) throws IOException {
        // the figures, not a line per call: quiet unless the caller asked for more
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 100;
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
                "ExecutionBenchmark: %d-step plans, %d rounds, Java %s, %d cores%n",
                steps,
                rounds,
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        for (int round = 1; round <= rounds; round++) {
            AtomicLong firstCall = new AtomicLong();
            List<Long> vaultStepStarts = new CopyOnWriteArrayList<>();
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
                            if (plan.id().startsWith("vault-")) {
                                vaultStepStarts.add(System.nanoTime());
                            }
                        }
                    })
                    .build()) {
                long start = System.nanoTime();
                PlanResult cold = orchestrator.execute(plan("cold-" + round, 1));
                require(cold);
                double coldMs = (firstCall.get() - start) / 1e6;
                PlanResult warm = orchestrator.execute(plan("warm-" + round, steps));
                require(warm);
                double[] perStep = warm.steps().stream()
                        .map(StepResult::duration)
                        .mapToDouble(d -> d.toNanos() / 1e6)
                        .toArray();
                double[] raw = rawSdk(java, serverArgs, steps);
                double[] vaultStep = vaultSteps(orchestrator, vault, "vault-" + round, steps, vaultStepStarts);
                System.out.printf(
                        "round %d: execute -> first tool call (cold server) %7.1f ms | orchestrator step"
                                + " median %6.3f ms p90 %6.3f ms | raw SDK callTool median %6.3f ms p90 %6.3f ms"
                                + " | in a vault (journal, plan file rewrite) median %6.3f ms p90 %6.3f ms%n",
                        round,
                        coldMs,
                        percentile(perStep, 50),
                        percentile(perStep, 90),
                        percentile(raw, 50),
                        percentile(raw, 90),
                        percentile(vaultStep, 50),
                        percentile(vaultStep, 90));
            }
        }
    }

    /**
     * The same plan as a file in the vault's {@code Approved/}, processed through the vault store: each
     * step also forces a journal line twice and rewrites the plan file. Returns the time from one step's
     * start to the next's.
     */
    private static double[] vaultSteps(
            McpPlanOrchestrator orchestrator, Path vault, String id, int steps, List<Long> starts) throws IOException {
        StringBuilder text = new StringBuilder("---\nplan_id: " + id + "\n---\n# Benchmark\n\n## Steps\n");
        for (int i = 1; i <= steps; i++) {
            text.append("- [ ] Read from vault note.md\n  - path: note.md\n");
        }
        try (VaultPlanStore store = VaultPlanStore.open(vault)) {
            Files.writeString(store.approvedDir().resolve(id + ".md"), text);
            List<PlanResult> results = orchestrator.processReady(store);
            results.forEach(ExecutionBenchmark::require);
        }
        double[] between = new double[starts.size() - 1];
        for (int i = 1; i < starts.size(); i++) {
            between[i - 1] = (starts.get(i) - starts.get(i - 1)) / 1e6;
        }
        return between;
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
