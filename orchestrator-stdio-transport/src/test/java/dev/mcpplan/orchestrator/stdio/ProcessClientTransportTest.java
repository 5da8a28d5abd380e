package dev.mcpplan.orchestrator.stdio;

import static dev.mcpplan.orchestrator.stdio.ProcessTable.survivors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each behaviour of the stdio transport against real spawned processes, driven through the SDK's own
 * client as the orchestrator drives it. The SDK client's time-outs are set far above every bound
 * asserted here, so that a pass cannot come from them.
 */
class ProcessClientTransportTest {
    private static final Duration SDK_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final List<McpSyncClient> clients = new ArrayList<>();

    @AfterEach
    void closeClients() {
        clients.forEach(McpSyncClient::closeGracefully);
    }

    @TempDir
    Path stateDirectory;

    /** A context as the orchestrator gives one, with the parts a test varies. */
    private record Context(
            Duration requestTimeout,
            Duration maxCallTime,
            List<String> inheritedEnvironment,
            UnaryOperator<String> redactor,
            Path stateDirectory)
            implements TransportContext {
        @Override
        public McpJsonMapper jsonMapper() {
            return new JacksonMcpJsonMapper(JsonMapper.builder().build());
        }
    }

    private Context context(Duration timeout) {
        return new Context(
                timeout,
                timeout.multipliedBy(10),
                TransportContext.DEFAULT_INHERITED_ENVIRONMENT,
                UnaryOperator.identity(),
                stateDirectory);
    }

    private ProcessClientTransport transport(
            ServerDefinition server, Duration timeout, int maxLine, Map<String, String> hostEnvironment) {
        return new ProcessClientTransport(server, context(timeout), hostEnvironment, maxLine);
    }

    private ProcessClientTransport transport(ServerDefinition server, Context context) {
        return new ProcessClientTransport(server, context, System.getenv(), ProcessClientTransport.DEFAULT_MAX_LINE);
    }

    private ProcessClientTransport transport(ServerDefinition server) {
        return transport(server, CALL_TIMEOUT, ProcessClientTransport.DEFAULT_MAX_LINE, System.getenv());
    }

    private McpSyncClient client(ProcessClientTransport transport) {
        McpSyncClient client = McpClient.sync(transport)
                .requestTimeout(SDK_TIMEOUT)
                .initializationTimeout(SDK_TIMEOUT)
                .build();
        clients.add(client);
        return client;
    }

    private McpSyncClient started(ProcessClientTransport transport) {
        McpSyncClient client = client(transport);
        client.initialize();
        return client;
    }

    private static String call(McpSyncClient client, String tool, Map<String, Object> arguments) {
        return call(client, tool, arguments, Map.of());
    }

    private static String call(
            McpSyncClient client, String tool, Map<String, Object> arguments, Map<String, Object> meta) {
        McpSchema.CallToolResult result = client.callTool(McpSchema.CallToolRequest.builder(tool)
                .arguments(arguments)
                .meta(meta)
                .build());
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void aServerThatCrashesMidCallFailsThatCallAndEveryLaterOneAtOnceWithItsExitCodeAndStderr() {
        McpSyncClient client = started(transport(Processes.scriptServer("crashy")));

        long start = System.nanoTime();
        assertThatThrownBy(() -> call(client, "crash", Map.of()))
                .hasMessageContaining("server 'crashy' exited with code 3")
                .hasMessageContaining("script server: Absturz, Grüße");
        assertThat(millisSince(start)).as("ms until the crash was reported").isLessThan(5_000);

        start = System.nanoTime();
        assertThatThrownBy(() -> call(client, "echo", Map.of("text", "later")))
                .hasMessageContaining("exited with code 3");
        assertThat(millisSince(start)).as("ms until a later call failed").isLessThan(1_000);
    }

    @Test
    void aServerThatExitsOnStartFailsInitializationAtOnceWithItsExitCode() {
        McpSyncClient client = client(transport(Processes.scriptServer("quitter", "--exit-on-start", "7")));

        long start = System.nanoTime();
        assertThatThrownBy(client::initialize)
                .hasStackTraceContaining("server 'quitter' exited with code 7")
                .hasStackTraceContaining("exiting on start as told");
        assertThat(millisSince(start)).as("ms until initialization failed").isLessThan(10_000);
    }

    @Test
    void aCommandThatDoesNotExistFailsInitializationAtOnce() {
        ServerDefinition missing = ServerDefinition.builder("ghost", ServerDefinition.STDIO)
                .command("/nonexistent/bin/mcp-ghost-server")
                .build();
        McpSyncClient client = client(transport(missing));

        long start = System.nanoTime();
        assertThatThrownBy(client::initialize)
                .hasStackTraceContaining("server 'ghost' could not start")
                .hasStackTraceContaining("/nonexistent/bin/mcp-ghost-server");
        assertThat(millisSince(start)).as("ms until initialization failed").isLessThan(2_000);
    }

    @Test
    void closeEndsAServerThatExitsOnStdinCloseQuickly() throws InterruptedException {
        McpSyncClient client = started(transport(Processes.scriptServer("polite")));
        long pid = Long.parseLong(call(client, "pids", Map.of()).split(" ")[0]);

        long start = System.nanoTime();
        client.closeGracefully();
        assertThat(millisSince(start)).as("ms to close").isLessThan(1_900);
        assertThat(survivors(List.of(pid), 1_000)).isEmpty();
    }

    @Test
    void closeEndsTheWholeTreeOfAWrapperThatIgnoresSigtermBySigkillWithinTheGracePeriods() throws InterruptedException {
        McpSyncClient client = started(transport(Processes.stubbornWrappedServer("stubborn")));
        long shell = Long.parseLong(call(client, "pids", Map.of()).split(" ")[1]);
        List<Long> tree = ProcessTable.tree(shell);
        assertThat(tree).as("shell, sleep and java server").hasSizeGreaterThanOrEqualTo(3);

        long start = System.nanoTime();
        client.closeGracefully();
        long took = millisSince(start);

        assertThat(survivors(tree, 1_000))
                .as("processes of the tree still alive")
                .isEmpty();
        assertThat(took)
                .as("ms to close: 2 s after stdin close, 2 s after SIGTERM, then SIGKILL")
                .isBetween(3_500L, 6_000L);
    }

    @Test
    void textIsUtf8BothWaysWhateverThePlatformCharsetAndLocale() {
        assertThat(Charset.defaultCharset())
                .as("this suite runs with a non-UTF-8 platform charset (see pom)")
                .isNotEqualTo(StandardCharsets.UTF_8);
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("LANG", "C");
        env.put("LC_ALL", "C");
        McpSyncClient client = started(transport(
                Processes.scriptServer("unicode"), CALL_TIMEOUT, ProcessClientTransport.DEFAULT_MAX_LINE, env));

        assertThat(call(client, "utf8", Map.of())).isEqualTo(ScriptServer.UTF8_TEXT);
        assertThat(call(client, "echo", Map.of("text", ScriptServer.UTF8_TEXT))).isEqualTo(ScriptServer.UTF8_TEXT);
    }

    @Test
    void aLineThatIsNotJsonIsSkippedAndTheConnectionLivesOn() {
        McpSyncClient client = started(transport(Processes.scriptServer("noisy")));

        assertThat(call(client, "noisy", Map.of())).isEqualTo("quiet again");
        assertThat(call(client, "echo", Map.of("text", "still here"))).isEqualTo("still here");
    }

    @Test
    void aLineLongerThanTheBoundIsDroppedAndTheNextLineIsReadAgain() {
        ProcessClientTransport transport =
                transport(Processes.scriptServer("verbose"), Duration.ofSeconds(2), 4_096, System.getenv());
        McpSyncClient client = started(transport);

        assertThat(call(client, "text", Map.of("size", 3_000))).hasSize(3_000);
        assertThatThrownBy(() -> call(client, "text", Map.of("size", 1_000_000)))
                .as("an answer on a line of a million characters is dropped, so the call times out")
                .hasMessageContaining("timed out after 2000 ms");
        assertThat(call(client, "text", Map.of("size", 3_000))).hasSize(3_000);
        assertThat(transport.pendingRequests()).isZero();
    }

    @Test
    void sixteenThreadsCallingAtOnceEachGetTheirOwnAnswers() throws Exception {
        McpSyncClient client = started(transport(Processes.scriptServer("busy")));
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        ExecutorService threads = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                done.add(threads.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        String text = "thread " + thread + " call " + i;
                        String answer = call(client, "echo", Map.of("text", text));
                        if (!answer.equals(text)) {
                            wrong.add(text + " -> " + answer);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theServerSeesOnlyTheAllowlistedHostVariablesAndItsOwnEnv() {
        Map<String, String> host = Map.of(
                "PATH",
                System.getenv("PATH"),
                "HOME",
                "/tmp",
                "LANG",
                "C.UTF-8",
                "AWS_SECRET_ACCESS_KEY",
                "host-secret",
                "GITHUB_TOKEN",
                "host-token",
                "DATABASE_URL",
                "postgres://x");
        ServerDefinition server = Processes.scriptServer("sealed").toBuilder()
                .env(Map.of("API_KEY", "configured-for-this-server"))
                .build();
        McpSyncClient client = started(transport(server, CALL_TIMEOUT, ProcessClientTransport.DEFAULT_MAX_LINE, host));

        List<String> names = List.of(call(client, "env", Map.of()).split(","));
        assertThat(names)
                .contains("PATH", "HOME", "LANG", "API_KEY")
                .doesNotContain("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "DATABASE_URL");
    }

    @Test
    void aTimedOutRequestFailsAtItsTimeOutIsRemovedAndIsCancelledAtTheServer() {
        ProcessClientTransport transport = transport(
                Processes.scriptServer("sleepy"),
                Duration.ofMillis(500),
                ProcessClientTransport.DEFAULT_MAX_LINE,
                System.getenv());
        McpSyncClient client = started(transport);

        long start = System.nanoTime();
        assertThatThrownBy(() -> call(client, "slow", Map.of("ms", 10_000)))
                .hasMessageContaining("request 'tools/call' to server 'sleepy' timed out after 500 ms without an"
                        + " answer or progress");
        assertThat(millisSince(start)).as("ms until the time-out").isBetween(450L, 2_500L);
        assertThat(transport.pendingRequests()).isZero();

        assertThat(call(client, "cancelled", Map.of()).split(","))
                .as("requests cancelled at the server")
                .hasSize(1)
                .allSatisfy(id -> assertThat(id).isNotBlank());
    }

    @Test
    void progressStartsTheTimeOutAgainSoACallLongerThanItThatReportsProgressSucceeds() {
        List<McpSchema.ProgressNotification> heard = new CopyOnWriteArrayList<>();
        ProcessClientTransport transport =
                transport(Processes.scriptServer("patient"), context(Duration.ofMillis(1_500)));
        McpSyncClient client = McpClient.sync(transport)
                .requestTimeout(SDK_TIMEOUT)
                .progressConsumer(heard::add)
                .build();
        clients.add(client);

        long start = System.nanoTime();
        String answer = call(client, "progress", Map.of("steps", 8, "ms", 500), Map.of("progressToken", "tok-1"));

        assertThat(answer).isEqualTo("done after 8 steps");
        assertThat(millisSince(start))
                .as("ms the call took: longer than one time-out")
                .isGreaterThan(3_000L);
        assertThat(heard)
                .hasSize(8)
                .allSatisfy(p -> assertThat(p.progressToken()).isEqualTo("tok-1"));
        assertThat(transport.pendingRequests()).isZero();
    }

    @Test
    void withoutAProgressTokenTheSameCallTimesOut() {
        McpSyncClient client =
                started(transport(Processes.scriptServer("unreported"), context(Duration.ofMillis(1_500))));

        assertThatThrownBy(() -> call(client, "progress", Map.of("steps", 8, "ms", 500)))
                .hasMessageContaining("timed out after 1500 ms without an answer or progress");
    }

    @Test
    void progressDoesNotCarryACallPastTheLongestCallTime() {
        Context bounded = new Context(
                Duration.ofMillis(1_500),
                Duration.ofMillis(2_500),
                TransportContext.DEFAULT_INHERITED_ENVIRONMENT,
                UnaryOperator.identity(),
                stateDirectory);
        McpSyncClient client = started(transport(Processes.scriptServer("endless"), bounded));

        long start = System.nanoTime();
        assertThatThrownBy(() ->
                        call(client, "progress", Map.of("steps", 40, "ms", 300), Map.of("progressToken", "tok-2")))
                .hasMessageContaining("timed out: it ran 2500 ms, the longest a call may run (maxCallTime)");
        assertThat(millisSince(start))
                .as("ms until the longest call time ended it")
                .isBetween(2_400L, 6_000L);
    }

    @Test
    void inheritedVariablesAreConfigurableWithPrefixPatterns() {
        Map<String, String> host = Map.of(
                "PATH", System.getenv("PATH"),
                "HTTPS_PROXY", "http://proxy.invalid:3128",
                "npm_config_registry", "http://registry.invalid/",
                "NPM_CONFIG_CACHE", "/tmp/npm-cache",
                "HOME", "/tmp",
                "GITHUB_TOKEN", "host-token");

        Map<String, String> env = ProcessClientTransport.environment(
                host, List.of("PATH", "https_proxy", "npm_config_*"), Map.of("OWN", "x"));

        assertThat(env.keySet())
                .containsExactlyInAnyOrder("PATH", "HTTPS_PROXY", "npm_config_registry", "NPM_CONFIG_CACHE", "OWN");
    }

    @Test
    void stderrLinesPassTheRedactorBeforeTheyAreKeptOrLogged() {
        Context redacting = new Context(
                CALL_TIMEOUT,
                CALL_TIMEOUT.multipliedBy(10),
                TransportContext.DEFAULT_INHERITED_ENVIRONMENT,
                line -> line.replace("Absturz", "***"),
                stateDirectory);
        McpSyncClient client = started(transport(Processes.scriptServer("secretive"), redacting));

        assertThatThrownBy(() -> call(client, "crash", Map.of()))
                .hasMessageContaining("script server: ***, Grüße")
                .hasMessageNotContaining("Absturz");
    }

    @Test
    void aRunningServerIsRecordedInTheStateDirectoryUntilItEnds() throws Exception {
        McpSyncClient client = started(transport(Processes.scriptServer("recorded")));
        long pid = Long.parseLong(call(client, "pids", Map.of()).split(" ")[0]);

        List<String> records = recordLines();
        assertThat(records)
                .as("records while running")
                .anySatisfy(l -> assertThat(l).startsWith(pid + " "));

        client.closeGracefully();
        assertThat(recordLines())
                .as("records after close")
                .noneSatisfy(l -> assertThat(l).startsWith(pid + " "));
    }

    private List<String> recordLines() throws IOException {
        try (Stream<Path> files = Files.list(stateDirectory)) {
            List<String> lines = new ArrayList<>();
            for (Path f : files.filter(f -> f.toString().endsWith(".servers")).toList()) {
                lines.addAll(Files.readAllLines(f));
            }
            return lines;
        }
    }
}
