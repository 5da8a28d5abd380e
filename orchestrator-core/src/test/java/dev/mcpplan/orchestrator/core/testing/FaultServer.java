package dev.mcpplan.orchestrator.core.testing;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real MCP server over stdio for tests, that misbehaves on request. Tools:
 * {@code echo} (read-only), {@code fail_echo} (an error result that repeats its {@code text}), {@code record} (appends a line to the {@code --log} file; not idempotent;
 * refuses a repeated idempotency key), {@code fail} (an error result), {@code auth_fail},
 * {@code rate_limit}, {@code boom} (a JSON-RPC error), {@code slow} (sleeps {@code ms}, not idempotent),
 * {@code slow_read} (sleeps, read-only), {@code crash} (exits with code 3 mid-call), {@code send} (sleeps
 * {@code ms}, then appends to the log without looking for duplicates, as a plain e-mail server would),
 * {@code exit_soon} (answers, then exits {@code ms} later, while idle), {@code grow} (adds
 * the tool {@code grown}, which makes the server send {@code notifications/tools/list_changed}),
 * {@code rate_limit_once} (a rate limit the first time it sees an idempotency key, success after),
 * {@code echo_structured} (read-only; its {@code text} as text and as structured content, beside an
 * {@code api_key} that must never reach a log),
 * {@code leak} (writes its {@code text} to stderr, then exits with code 3 mid-call).
 * Start options, taken in order: {@code --log FILE}, {@code --exit-on-start CODE}, {@code --garbage} (prints
 * a non-JSON line on stdout first), {@code --stderr TEXT} (writes the text to stderr), {@code --stderr-env
 * NAME} (writes the value of the environment variable to stderr).
 */
public final class FaultServer {
    private static final String KEY = "dev.mcpplan/idempotency-key";
    private static final AtomicReference<McpAsyncServer> SERVER = new AtomicReference<>();
    private static final Set<Object> RATE_LIMITED = ConcurrentHashMap.newKeySet();

    private FaultServer() {}

    public static void main(String[] args) throws IOException {
        Path log = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--log" -> log = Path.of(args[++i]);
                case "--exit-on-start" -> {
                    System.err.println("fault server: exiting on start as told");
                    System.exit(Integer.parseInt(args[++i]));
                }
                case "--stderr" -> System.err.println(args[++i]);
                case "--stderr-env" -> System.err.println("fault server: started with " + System.getenv(args[++i]));
                case "--garbage" -> {
                    PrintStream raw =
                            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
                    raw.println("this is not JSON: starting up...");
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path recordLog = log;
        McpJsonMapper mapper = new JacksonMcpJsonMapper(JsonMapper.builder().build());
        List<AsyncToolSpecification> tools = new ArrayList<>();
        tools.add(tool(
                "echo", true, true, req -> text(String.valueOf(req.arguments().get("text")), false)));
        tools.add(tool("record", false, false, req -> record(recordLog, req)));
        tools.add(tool("fail", false, false, req -> text("the tool failed on purpose", true)));
        tools.add(tool(
                "fail_echo",
                false,
                false,
                req -> text("could not send: " + req.arguments().get("text"), true)));
        tools.add(tool("auth_fail", false, false, req -> text("401 Unauthorized: invalid credentials", true)));
        tools.add(tool("rate_limit", false, false, req -> text("429 Too Many Requests: retry after 2 seconds", true)));
        tools.add(tool("boom", false, false, req -> {
            throw new IllegalStateException("boom: internal failure");
        }));
        tools.add(tool("slow", false, false, req -> sleep(req)));
        tools.add(tool(
                "rate_limit_once",
                false,
                false,
                req -> RATE_LIMITED.add(String.valueOf(
                                req.meta() == null ? null : req.meta().get(KEY)))
                        ? text("429 Too Many Requests: retry after 1 seconds", true)
                        : text("done after the rate limit", false)));
        tools.add(tool(
                "echo_structured",
                true,
                true,
                req -> CallToolResult.builder()
                        .addTextContent(String.valueOf(req.arguments().get("text")))
                        .structuredContent(Map.of(
                                "echo",
                                String.valueOf(req.arguments().get("text")),
                                "api_key",
                                "sk-live-0123456789abcdef0123456789abcdef"))
                        .isError(false)
                        .build()));
        tools.add(tool("slow_read", true, true, req -> sleep(req)));
        tools.add(tool("crash", false, false, req -> {
            System.err.println("fault server: crashing mid-call as told");
            Runtime.getRuntime().halt(3);
            return text("unreachable", true);
        }));
        tools.add(tool("send", false, false, req -> send(recordLog, req)));
        tools.add(tool("leak", false, false, req -> {
            System.err.println("fault server: leaking " + req.arguments().get("text"));
            Runtime.getRuntime().halt(3);
            return text("unreachable", true);
        }));
        tools.add(tool("exit_soon", false, true, req -> {
            new Thread(() -> {
                        sleep(req);
                        System.err.println("fault server: exiting while idle as told");
                        Runtime.getRuntime().halt(4);
                    })
                    .start();
            return text("exiting in " + req.arguments().get("ms") + " ms", false);
        }));
        tools.add(tool("grow", false, true, req -> {
            SERVER.get()
                    .addTool(tool("grown", true, true, grown -> text("grown tool answered", false)))
                    .block();
            return text("added the tool 'grown'", false);
        }));
        SERVER.set(McpServer.async(new StdioServerTransportProvider(mapper))
                .serverInfo("fault-server", "1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(tools)
                .build());
    }

    private interface Handler {
        CallToolResult handle(McpSchema.CallToolRequest request);
    }

    /** A tool whose calls each run on a thread of their own, so that a slow call does not hold up others. */
    private static AsyncToolSpecification tool(String name, boolean readOnly, boolean idempotent, Handler handler) {
        Map<String, Object> schema = Map.of(
                "type",
                "object",
                "properties",
                Map.of(
                        "text", Map.of("type", "string"),
                        "ms", Map.of("type", "integer", "minimum", 0)));
        return AsyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder(name)
                        .description("fault server tool " + name)
                        .inputSchema(schema)
                        .annotations(new McpSchema.ToolAnnotations(name, readOnly, !readOnly, idempotent, false, null))
                        .build())
                .callHandler((exchange, request) ->
                        Mono.fromCallable(() -> handler.handle(request)).subscribeOn(Schedulers.boundedElastic()))
                .build();
    }

    private static CallToolResult record(Path log, McpSchema.CallToolRequest request) {
        if (log == null) {
            return text("record needs --log", true);
        }
        Object key = request.meta() == null ? null : request.meta().get(KEY);
        try {
            synchronized (FaultServer.class) {
                if (key != null
                        && Files.exists(log)
                        && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(key + "\t"))) {
                    return text("duplicate " + key + ": already recorded", false);
                }
                Files.writeString(
                        log,
                        key + "\t" + request.arguments().get("text") + "\n",
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            return text("cannot write " + log + ": " + e, true);
        }
        return text("recorded " + request.arguments().get("text"), false);
    }

    /** Like an e-mail server without duplicate detection: sleeps {@code ms}, then appends to the log. */
    private static CallToolResult send(Path log, McpSchema.CallToolRequest request) {
        sleep(request);
        Object key = request.meta() == null ? null : request.meta().get(KEY);
        try {
            synchronized (FaultServer.class) {
                Files.writeString(
                        log,
                        key + "\t" + request.arguments().get("text") + "\n",
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND,
                        StandardOpenOption.SYNC);
            }
        } catch (IOException e) {
            return text("cannot write " + log + ": " + e, true);
        }
        return text("sent " + request.arguments().get("text"), false);
    }

    private static CallToolResult sleep(McpSchema.CallToolRequest request) {
        long ms = ((Number) request.arguments().getOrDefault("ms", 1000)).longValue();
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return text("slept " + ms + " ms", false);
    }

    private static CallToolResult text(String text, boolean error) {
        return CallToolResult.builder().addTextContent(text).isError(error).build();
    }
}
