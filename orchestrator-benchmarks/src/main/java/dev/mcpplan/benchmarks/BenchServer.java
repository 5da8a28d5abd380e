package dev.mcpplan.benchmarks;

import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * The server every client of the benchmark calls, over stdio: {@code echo} answers its {@code text} at
 * once; {@code wait} answers after {@code ms} milliseconds, without holding a thread, so that any number
 * of calls wait at once. Both are read-only.
 *
 * <p>The answers of {@code wait} all come from one thread: the SDK's stdio server transport emits each
 * answer into a sink that refuses two threads at once ({@code FAIL_NON_SERIALIZED}) and then stops
 * answering, so timers ending together on several threads would lose answers. The benchmark never
 * calls {@code echo} while a {@code wait} is running.
 */
public final class BenchServer {
    private static final Scheduler ANSWERS = Schedulers.newSingle("bench-answers", true);

    private BenchServer() {}

    public static void main(String[] args) {
        McpServer.async(new StdioServerTransportProvider(
                        new JacksonMcpJsonMapper(JsonMapper.builder().build())))
                .serverInfo("bench-server", "1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(
                        tool("echo", request -> Mono.just(text(request))),
                        tool(
                                "wait",
                                request -> Mono.delay(
                                                Duration.ofMillis(((Number) request.arguments()
                                                                .getOrDefault("ms", 0))
                                                        .longValue()),
                                                ANSWERS)
                                        .map(tick -> text(request))))
                .build();
    }

    private static CallToolResult text(McpSchema.CallToolRequest request) {
        return CallToolResult.builder()
                .addTextContent(String.valueOf(request.arguments().get("text")))
                .isError(false)
                .build();
    }

    private static AsyncToolSpecification tool(
            String name, Function<McpSchema.CallToolRequest, Mono<CallToolResult>> handler) {
        return AsyncToolSpecification.builder()
                .tool(new McpSchema.Tool(
                        name,
                        null,
                        "benchmark tool " + name,
                        Map.of(
                                "type",
                                "object",
                                "properties",
                                Map.of("text", Map.of("type", "string"), "ms", Map.of("type", "integer"))),
                        null,
                        new McpSchema.ToolAnnotations(name, true, false, true, false, null),
                        null,
                        null))
                .callHandler((exchange, request) -> handler.apply(request))
                .build();
    }
}
