package dev.mcpplan.benchmarks;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.mcp.client.DefaultMcpClient;
import dev.langchain4j.mcp.client.transport.stdio.StdioMcpTransport;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.McpPlanOrchestrator;
import dev.mcpplan.orchestrator.core.VaultPlanStore;
import dev.mcpplan.orchestrator.http.HttpFaultServer;
import dev.mcpplan.orchestrator.http.HttpTransportProvider;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.stdio.StdioTransportProvider;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import tools.jackson.databind.json.JsonMapper;

/**
 * The orchestrator beside its peers, against the same server ({@link BenchServer}, a process of its own
 * for each client) in interleaved rounds, printing a table and the ratios:
 *
 * <ul>
 *   <li>per call: the floor (a bare JSON-RPC line exchange with the server, no SDK), the raw MCP Java SDK
 *       client on its own stdio transport, the SDK client on this project's stdio transport, and
 *       LangChain4j's {@code DefaultMcpClient};
 *   <li>per step of plans of each size (100 and 2,000 steps by default): in memory ({@code execute}) and
 *       from a vault (the journal forced to disk, the plan file following it), beside a line appended and
 *       forced to disk on the same disk;
 *   <li>64 independent steps against a server answering in 100 ms, at most 16 at once, against the ideal
 *       400 ms, and the same plan in sequential mode;
 *   <li>1,000 one-step plans, 8 at once, against a server answering in 50 ms, against the ideal
 *       throughput; and plans waiting in a vault's {@code Approved/} (1,000 and 10,000 by default), 8 at
 *       once, with a server answering at once: plans per second and the heap after collection.
 * </ul>
 *
 * It is a benchmark, not a test: it asserts nothing; its figures follow the machine's load, so compare
 * the ratios of one run.
 *
 * <p>Run: {@code java -jar orchestrator-benchmarks/target/benchmarks.jar [rounds] [sizes] [backlogs]}
 * (default {@code 3 100,2000 1000,10000}); {@code -Dbench.parts=calls,http,parallel,queue,backlog} (the
 * default: all five) runs only the parts named.
 */
public final class ExecutionBenchmark {
    private static final int WARM_UP_CALLS = 500;
    private static final int CALLS = 1000;
    private static final McpJsonMapper MAPPER =
            new JacksonMcpJsonMapper(JsonMapper.builder().build());

    private final Path work;
    private final List<String> server;

    private ExecutionBenchmark(Path work) {
        this.work = work;
        this.server = List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                BenchServer.class.getName());
    }

    public static void main(String[] args) throws Exception {
        // the figures, not a line per call: quiet unless the caller asked for more
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int[] sizes = numbers(args.length > 1 ? args[1] : "100,2000");
        int[] backlogs = numbers(args.length > 2 ? args[2] : "1000,10000");
        ExecutionBenchmark bench = new ExecutionBenchmark(Files.createTempDirectory("execution-benchmark"));
        System.out.printf(
                "ExecutionBenchmark: %d rounds, plans of %s steps, backlogs of %s plans; Java %s, %d cores, load %s%n%n",
                rounds,
                Arrays.toString(sizes),
                Arrays.toString(backlogs),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                loadAverage());
        bench.run(rounds, sizes, backlogs);
        System.out.printf("%nload at the end %s%n", loadAverage());
    }

    private static int[] numbers(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /** One measure over the rounds: the median of each round. */
    private static final class Row {
        final String name;
        final List<Double> rounds = new ArrayList<>();

        Row(String name) {
            this.name = name;
        }

        double median() {
            return ExecutionBenchmark.median(
                    rounds.stream().mapToDouble(Double::doubleValue).toArray());
        }
    }

    private void run(int rounds, int[] sizes, int[] backlogs) throws Exception {
        List<String> parts = List.of(System.getProperty("bench.parts", "calls,http,parallel,queue,backlog")
                .split(","));
        if (parts.contains("calls")) {
            calls(rounds, sizes);
        }
        if (parts.contains("http")) {
            http(rounds);
        }
        if (parts.contains("parallel")) {
            parallel();
        }
        if (parts.contains("queue")) {
            queue();
        }
        if (parts.contains("backlog")) {
            for (int backlog : backlogs) {
                backlog(backlog);
            }
        }
    }

    /** Per call and per step, in interleaved rounds, and the table of their ratios. */
    private void calls(int rounds, int[] sizes) throws Exception {
        Map<String, Row> rows = new LinkedHashMap<>();
        try (McpPlanOrchestrator orchestrator = orchestrator("steps", 1)) {
            for (int round = 1; round <= rounds; round++) {
                System.out.printf("round %d of %d ...%n", round, rounds);
                add(rows, "floor: JSON-RPC lines, no SDK", floor());
                add(
                        rows,
                        "raw SDK client, SDK stdio transport",
                        sdk(new StdioClientTransport(
                                ServerParameters.builder(server.get(0))
                                        .args(server.subList(1, server.size()))
                                        .build(),
                                MAPPER)));
                add(rows, "SDK client, this project's stdio transport", sdk(ownTransport()));
                add(rows, "LangChain4j DefaultMcpClient", langChain4j());
                add(rows, "a line appended and forced to disk", fsyncs());
                for (int size : sizes) {
                    add(rows, "execute, in memory, per step of " + size, steps(orchestrator, size, round, false));
                    add(rows, "from a vault, per step of " + size, steps(orchestrator, size, round, true));
                }
            }
        }
        double floor = rows.get("floor: JSON-RPC lines, no SDK").median();
        double raw = rows.get("raw SDK client, SDK stdio transport").median();
        System.out.printf(
                "%n%-46s %-28s %9s %9s %9s%n",
                "per call or step", "round medians (ms)", "median", "/floor", "/raw SDK");
        for (Row row : rows.values()) {
            System.out.printf(
                    "%-46s %-28s %9.3f %8.2fx %8.2fx%n",
                    row.name,
                    row.rounds.stream().map(v -> String.format("%.3f", v)).toList(),
                    row.median(),
                    row.median() / floor,
                    row.median() / raw);
        }
        double own = rows.get("SDK client, this project's stdio transport").median();
        double fsync = rows.get("a line appended and forced to disk").median();
        System.out.printf("%nwhere the time goes (medians):%n");
        System.out.printf(
                "  this project's transport against LangChain4j's client: %.2fx; against the floor: %.2fx%n",
                own / rows.get("LangChain4j DefaultMcpClient").median(), own / floor);
        for (int size : sizes) {
            double memory = rows.get("execute, in memory, per step of " + size).median();
            double vault = rows.get("from a vault, per step of " + size).median();
            System.out.printf(
                    "  %d steps: in memory %.3f ms = the call %.3f + the engine %.3f (%.2fx the raw SDK call);"
                            + " from a vault %.3f ms = in memory + %.3f ms (%.1f forced appends, or 2 of them + %.3f ms)%n",
                    size,
                    memory,
                    own,
                    memory - own,
                    memory / raw,
                    vault,
                    vault - memory,
                    (vault - memory) / fsync,
                    vault - memory - 2 * fsync);
        }
        if (sizes.length > 1) {
            int last = sizes[sizes.length - 1];
            System.out.printf(
                    "  per step, %d steps against %d: in memory %.2fx, from a vault %.2fx (1.00x: flat in plan length)%n",
                    last,
                    sizes[0],
                    rows.get("execute, in memory, per step of " + last).median()
                            / rows.get("execute, in memory, per step of " + sizes[0])
                                    .median(),
                    rows.get("from a vault, per step of " + last).median()
                            / rows.get("from a vault, per step of " + sizes[0]).median());
        }
    }

    /**
     * Per call over Streamable HTTP, against the HTTP transport's test server (the SDK's servlet
     * transport in Tomcat: {@code echo} answers at once) in a process of its own: the raw SDK client
     * on the SDK's HTTP transport, the SDK client on this project's HTTP transport, and a step of a
     * 100-step plan run by {@code execute} in memory, in interleaved rounds.
     */
    private void http(int rounds) throws Exception {
        List<String> command = new ArrayList<>(server.subList(0, server.size() - 1));
        command.add(HttpFaultServer.class.getName());
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            String ready = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            if (ready == null || !ready.startsWith("listening on ")) {
                throw new IllegalStateException("the HTTP bench server did not start: " + ready);
            }
            String base = "http://127.0.0.1:" + ready.substring("listening on ".length());
            ServerDefinition definition = ServerDefinition.builder("bench", ServerDefinition.HTTP)
                    .url(base + "/mcp")
                    .build();
            Map<String, Row> rows = new LinkedHashMap<>();
            try (McpPlanOrchestrator orchestrator =
                    orchestrator("http", 1, Map.of("type", "http", "url", base + "/mcp"))) {
                for (int round = 1; round <= rounds; round++) {
                    System.out.printf("HTTP round %d of %d ...%n", round, rounds);
                    add(
                            rows,
                            "raw SDK client, SDK HTTP transport",
                            sdk(HttpClientStreamableHttpTransport.builder(base)
                                    .endpoint("/mcp")
                                    .jsonMapper(MAPPER)
                                    .build()));
                    add(
                            rows,
                            "SDK client, this project's HTTP transport",
                            sdk(new HttpTransportProvider().create(definition, context(Duration.ofSeconds(30)))));
                    add(rows, "execute over HTTP, in memory, per step of 100", steps(orchestrator, 100, round, false));
                }
            }
            double raw = rows.get("raw SDK client, SDK HTTP transport").median();
            System.out.printf(
                    "%n%-46s %-28s %9s %9s%n",
                    "per call or step over HTTP", "round medians (ms)", "median", "/raw SDK");
            for (Row row : rows.values()) {
                System.out.printf(
                        "%-46s %-28s %9.3f %8.2fx%n",
                        row.name,
                        row.rounds.stream().map(v -> String.format("%.3f", v)).toList(),
                        row.median(),
                        row.median() / raw);
            }
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    private static void add(Map<String, Row> rows, String name, double value) {
        rows.computeIfAbsent(name, Row::new).rounds.add(value);
    }

    /** An orchestrator on the bench server, {@code plans} at once, its state and vaults in a folder of its own. */
    private McpPlanOrchestrator orchestrator(String name, int plans) throws IOException {
        return orchestrator(name, plans, Map.of("command", server.get(0), "args", server.subList(1, server.size())));
    }

    /** The same on the bench server as {@code entry} in {@code mcpServers} reaches it. */
    private McpPlanOrchestrator orchestrator(String name, int plans, Map<String, Object> entry) throws IOException {
        Path folder = Files.createDirectories(work.resolve(name));
        Map<String, Object> config = Map.of(
                "mcpServers",
                Map.of("bench", entry),
                "orchestrator",
                Map.of(
                        "actions",
                        Map.of("echo", "bench", "wait", "bench"),
                        "maxParallelSteps",
                        16,
                        "maxConcurrentSteps",
                        16,
                        "maxConcurrentPlans",
                        plans,
                        "vault",
                        Map.of("settle", "0s")));
        Path file = folder.resolve("mcp.json");
        JsonMapper.builder().build().writeValue(file.toFile(), config);
        return McpPlanOrchestrator.builder()
                .config(file)
                .discoverPlugins(ExecutionBenchmark.class.getClassLoader())
                .stateDirectory(folder.resolve("state"))
                .listener(new ExecutionListener() {
                    @Override
                    public void stepStarted(Plan plan, Step step, int attempt) {
                        Consumer<Long> c = stepWatch;
                        if (c != null) {
                            c.accept(System.nanoTime());
                        }
                    }
                })
                .build();
    }

    /** Where the running measure wants each step's start time; null when none does. */
    private volatile Consumer<Long> stepWatch;

    private static final AtomicLong PLANS = new AtomicLong();

    private static Plan plan(int steps, String tool, int ms, boolean parallel) {
        Plan.Builder plan = Plan.builder("bench-" + PLANS.incrementAndGet()).status(PlanStatus.APPROVED);
        if (parallel) {
            plan.frontMatter(Map.of("execution", "parallel"));
        }
        for (int i = 1; i <= steps; i++) {
            plan.step(Step.builder(i, "Call " + tool + " " + i)
                    .action(tool)
                    .parameter("text", "hello")
                    .parameter("ms", ms)
                    .build());
        }
        return plan.build();
    }

    /** The median time from one step's start to the next's, of a plan run in memory or from a vault. */
    private double steps(McpPlanOrchestrator orchestrator, int size, int round, boolean fromVault) throws IOException {
        List<Long> starts = new CopyOnWriteArrayList<>();
        stepWatch = starts::add;
        try {
            if (fromVault) {
                Path vault = Files.createDirectories(work.resolve("steps-vault-" + size + "-" + round));
                StringBuilder text = new StringBuilder(
                        "---\nplan_id: vault-" + size + "-" + round + "\n---\n# Benchmark\n\n## Steps\n");
                for (int i = 1; i <= size; i++) {
                    text.append("- [ ] Echo ").append(i).append("\n  - action: echo\n  - text: hello\n");
                }
                try (VaultPlanStore store = orchestrator.openVault(vault)) {
                    Files.writeString(store.approvedDir().resolve("plan.md"), text);
                    orchestrator.processReady(store).forEach(ExecutionBenchmark::require);
                }
            } else {
                require(orchestrator.execute(plan(size, "echo", 0, false)));
            }
        } finally {
            stepWatch = null;
        }
        return medianGap(starts);
    }

    /** The median time in ms from one of the times (nanoseconds, in order) to the next. */
    static double medianGap(List<Long> starts) {
        double[] gaps = new double[starts.size() - 1];
        for (int i = 1; i < starts.size(); i++) {
            gaps[i - 1] = (starts.get(i) - starts.get(i - 1)) / 1e6;
        }
        return median(gaps);
    }

    /** The bench server's command line as this project's stdio transport starts it. */
    private McpClientTransport ownTransport() {
        ServerDefinition definition = ServerDefinition.builder("bench", ServerDefinition.STDIO)
                .command(server.get(0))
                .args(server.subList(1, server.size()))
                .build();
        return new StdioTransportProvider().create(definition, context(Duration.ofSeconds(30)));
    }

    /** What a transport of the benchmark gets: the mapper, the time-out, a state folder of the run's own. */
    private TransportContext context(Duration timeout) {
        return new TransportContext() {
            @Override
            public McpJsonMapper jsonMapper() {
                return MAPPER;
            }

            @Override
            public Duration requestTimeout() {
                return timeout;
            }

            @Override
            public Path stateDirectory() {
                return work.resolve("transport-state");
            }
        };
    }

    /** The median of {@link #CALLS} calls through the SDK's sync client on {@code transport}, after a warm-up. */
    private static double sdk(McpClientTransport transport) {
        McpSyncClient client = McpClient.sync(transport).build();
        try {
            client.initialize();
            McpSchema.CallToolRequest request = McpSchema.CallToolRequest.builder("echo")
                    .arguments(Map.of("text", "hello"))
                    .build();
            return timed(() -> {
                if (Boolean.TRUE.equals(client.callTool(request).isError())) {
                    throw new IllegalStateException("the SDK's call failed");
                }
            });
        } finally {
            client.closeGracefully();
        }
    }

    private double langChain4j() throws Exception {
        try (DefaultMcpClient client = new DefaultMcpClient.Builder()
                .transport(new StdioMcpTransport.Builder()
                        .command(server)
                        .logEvents(false)
                        .build())
                .autoHealthCheck(false)
                .build()) {
            ToolExecutionRequest request = ToolExecutionRequest.builder()
                    .name("echo")
                    .arguments("{\"text\":\"hello\"}")
                    .build();
            return timed(() -> {
                if (client.executeTool(request).isError()) {
                    throw new IllegalStateException("LangChain4j's call failed");
                }
            });
        }
    }

    /**
     * The floor: the same request as one JSON-RPC line written to the server's stdin, and its answer read
     * as one line from its stdout, found by its id and not parsed; no SDK on the client side.
     */
    private double floor() throws IOException, InterruptedException {
        Process process = new ProcessBuilder(server)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (OutputStream in = process.getOutputStream();
                BufferedReader out =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            long[] id = {0};
            line(in, out, ++id[0], "initialize", """
                    {"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"floor","version":"1"}}""");
            in.write("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                    .getBytes(StandardCharsets.UTF_8));
            in.flush();
            return timed(() -> {
                try {
                    line(in, out, ++id[0], "tools/call", "{\"name\":\"echo\",\"arguments\":{\"text\":\"hello\"}}");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    private static void line(OutputStream in, BufferedReader out, long id, String method, String params)
            throws IOException {
        in.write(("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}\n")
                .getBytes(StandardCharsets.UTF_8));
        in.flush();
        String mark = "\"id\":" + id + ",";
        for (String answer = out.readLine(); ; answer = out.readLine()) {
            if (answer == null) {
                throw new IOException("the server closed its stdout");
            }
            if (answer.contains(mark)) {
                if (answer.contains("\"error\"")) {
                    throw new IOException("the server answered an error: " + answer);
                }
                return;
            }
        }
    }

    /** The median of {@link #CALLS} runs of {@code call}, after {@link #WARM_UP_CALLS} unmeasured ones. */
    private static double timed(Runnable call) {
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            call.run();
        }
        double[] times = new double[CALLS];
        for (int i = 0; i < CALLS; i++) {
            long start = System.nanoTime();
            call.run();
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        return median(times);
    }

    /** The time to append a line to a file on the benchmark's disk and force it there, as the journal does. */
    private double fsyncs() throws IOException {
        Path file = work.resolve("fsync-probe");
        double[] times = new double[200];
        try (FileChannel channel = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            for (int i = 0; i < times.length; i++) {
                long start = System.nanoTime();
                channel.write(
                        ByteBuffer.wrap(("started " + i + " 2026-12-01T08:00:00Z\n").getBytes(StandardCharsets.UTF_8)));
                channel.force(true);
                times[i] = (System.nanoTime() - start) / 1e6;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return median(times);
    }

    /** 64 independent steps against a server answering in 100 ms, 16 at once, then in sequential mode. */
    private void parallel() throws IOException {
        try (McpPlanOrchestrator orchestrator = orchestrator("parallel", 1)) {
            require(orchestrator.execute(plan(64, "wait", 100, true))); // the server started, the code warm
            List<Double> walls = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                require(orchestrator.execute(plan(64, "wait", 100, true)));
                walls.add((System.nanoTime() - start) / 1e6);
            }
            long start = System.nanoTime();
            require(orchestrator.execute(plan(64, "wait", 100, false)));
            double sequential = (System.nanoTime() - start) / 1e6;
            double wall = median(walls.stream().mapToDouble(Double::doubleValue).toArray());
            System.out.printf(
                    "%n64 independent steps, server answering in 100 ms, at most 16 at once: parallel %s ms, median"
                            + " %.0f ms = %.2fx the ideal 400 ms; sequential %.0f ms = %.2fx the ideal 6400 ms%n",
                    walls.stream().map(v -> String.format("%.0f", v)).toList(),
                    wall,
                    wall / 400,
                    sequential,
                    sequential / 6400);
        }
    }

    /** 1,000 one-step plans submitted at once, 8 running at a time, against a server answering in 50 ms. */
    private void queue() throws IOException {
        try (McpPlanOrchestrator orchestrator = orchestrator("queue", 8)) {
            require(orchestrator.execute(plan(1, "wait", 0, false)));
            int plans = 1000;
            long start = System.nanoTime();
            List<CompletableFuture<PlanResult>> results = new ArrayList<>();
            for (int i = 0; i < plans; i++) {
                results.add(orchestrator.submit(plan(1, "wait", 50, false)));
            }
            results.forEach(r -> require(r.join()));
            double seconds = (System.nanoTime() - start) / 1e9;
            double ideal = 8 / 0.050;
            System.out.printf(
                    "1,000 one-step plans submitted, 8 at once, server answering in 50 ms: %.1f s, %.0f plans/s ="
                            + " %.2fx the ideal %.0f plans/s%n",
                    seconds, plans / seconds, plans / seconds / ideal, ideal);
        }
    }

    /** {@code plans} one-step plans waiting in a vault's Approved/, run 8 at once against a server answering at once. */
    private void backlog(int plans) throws IOException, InterruptedException {
        try (McpPlanOrchestrator orchestrator = orchestrator("backlog-" + plans, 8)) {
            Path vault = Files.createDirectories(work.resolve("backlog-vault-" + plans));
            try (VaultPlanStore store = orchestrator.openVault(vault)) {
                require(orchestrator.execute(plan(1, "echo", 0, false)));
                for (int i = 1; i <= plans; i++) {
                    Files.writeString(
                            store.approvedDir().resolve("plan-" + i + ".md"),
                            "---\nplan_id: backlog-" + plans + "-" + i
                                    + "\n---\n# Backlog\n\n## Steps\n- [ ] Echo\n  - action: echo\n  - text: hello\n");
                }
                AtomicBoolean running = new AtomicBoolean(true);
                long[] heap = {0};
                Thread sampler = new Thread(() -> {
                    while (running.get()) {
                        heap[0] = Math.max(heap[0], heapAfterCollection());
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                sampler.setDaemon(true);
                sampler.start();
                long start = System.nanoTime();
                List<PlanResult> results = orchestrator.processReady(store);
                double seconds = (System.nanoTime() - start) / 1e9;
                running.set(false);
                sampler.join();
                results.forEach(ExecutionBenchmark::require);
                System.out.printf(
                        "%,d plans waiting in Approved/, 8 at once, server answering at once: %d done in %.1f s, %.0f"
                                + " plans/s; heap after collection at most %.1f MiB%n",
                        plans, results.size(), seconds, results.size() / seconds, heap[0] / 1048576.0);
            }
        }
    }

    /** The heap in use after the last collection, summed over the heap's pools. */
    private static long heapAfterCollection() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage after = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            if (after != null) {
                used += after.getUsed();
            }
        }
        return used;
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ", 4)[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    static void require(PlanResult result) {
        if (!result.completed()) {
            throw new IllegalStateException("benchmark plan did not complete: " + result);
        }
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(sorted.length - 1) / 2];
    }
}
