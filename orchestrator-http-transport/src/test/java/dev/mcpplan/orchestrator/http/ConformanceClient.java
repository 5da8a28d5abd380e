package dev.mcpplan.orchestrator.http;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The client the official conformance suite ({@code @modelcontextprotocol/conformance}) runs: the SDK's
 * client on this module's transport, as the orchestrator uses them. The suite gives the server's URL
 * as the last argument and the scenario in {@code MCP_CONFORMANCE_SCENARIO}. The client opens the
 * session, lists the tools (when the server has any) and calls each (the suite's {@code add_numbers} with 2 and 3, every other
 * without arguments), and answers a request for input as the orchestrator does: it declines. It
 * exits 0 when all went through, 1 when something failed.
 */
public final class ConformanceClient {
    private ConformanceClient() {}

    public static void main(String[] args) {
        String url = args[args.length - 1];
        McpJsonMapper mapper = new JacksonMcpJsonMapper(JsonMapper.builder().build());
        TransportContext context = new TransportContext() {
            @Override
            public McpJsonMapper jsonMapper() {
                return mapper;
            }

            @Override
            public Duration requestTimeout() {
                return Duration.ofSeconds(10);
            }
        };
        ServerDefinition server = ServerDefinition.builder("conformance", ServerDefinition.HTTP)
                .url(url)
                .build();
        McpSyncClient client = McpClient.sync(new HttpTransportProvider().create(server, context))
                .clientInfo(McpSchema.Implementation.builder("mcp-plan-orchestrator-conformance", "0.1.0")
                        .build())
                .capabilities(
                        McpSchema.ClientCapabilities.builder().elicitation().build())
                .elicitation(request -> new McpSchema.ElicitResult(McpSchema.ElicitResult.Action.DECLINE, null))
                .requestTimeout(Duration.ofSeconds(20))
                .build();
        int exit = 0;
        try {
            McpSchema.InitializeResult opened = client.initialize();
            List<McpSchema.Tool> tools = opened.capabilities().tools() == null
                    ? List.of()
                    : client.listTools().tools();
            for (McpSchema.Tool tool : tools) {
                Map<String, Object> arguments = tool.name().equals("add_numbers") ? Map.of("a", 2, "b", 3) : Map.of();
                McpSchema.CallToolResult result = client.callTool(McpSchema.CallToolRequest.builder(tool.name())
                        .arguments(arguments)
                        .build());
                System.out.println(tool.name() + ": " + result.content());
            }
        } catch (RuntimeException e) {
            System.err.println("conformance client failed: " + e);
            exit = 1;
        } finally {
            client.closeGracefully();
        }
        System.exit(exit);
    }
}
