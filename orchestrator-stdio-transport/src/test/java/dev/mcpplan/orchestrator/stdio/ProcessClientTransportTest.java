package dev.mcpplan.orchestrator.stdio;

import static dev.mcpplan.orchestrator.stdio.ProcessTable.survivors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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

    private ProcessClientTransport transport(
            ServerDefinition server, Duration timeout, int maxLine, Map<String, String> hostEnvironment) {
        return new ProcessClientTransport(
                server,
                new JacksonMcpJsonMapper(JsonMapper.builder().build()),
                hostEnvironment,
                timeout,
                maxLine,
                UnaryOperator.identity());
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
        McpSchema.CallToolResult result = client.callTool(
                McpSchema.CallToolRequest.builder(tool).arguments(arguments).build());
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
        List<Long> tree = Processes.tree(shell).stream().map(ProcessHandle::pid).toList();
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
                .hasMessageContaining("request 'tools/call' to server 'sleepy' timed out after 500 ms");
        assertThat(millisSince(start)).as("ms until the time-out").isBetween(450L, 2_500L);
        assertThat(transport.pendingRequests()).isZero();

        assertThat(call(client, "cancelled", Map.of()).split(","))
                .as("requests cancelled at the server")
                .hasSize(1)
                .allSatisfy(id -> assertThat(id).isNotBlank());
    }
}
