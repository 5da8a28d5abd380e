package dev.mcpplan.orchestrator.stdio;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.stream.Collectors;
import tools.jackson.databind.json.JsonMapper;

/**
 * A host that starts a stubborn wrapped server, prints the pids of its whole process tree on one line,
 * and exits without closing anything: only the transport's shutdown hook can end the tree.
 */
public final class HookHost {
    private HookHost() {
    }

    public static void main(String[] args) {
        ProcessClientTransport transport = new ProcessClientTransport(Processes.stubbornWrappedServer("hooked"),
                new JacksonMcpJsonMapper(JsonMapper.builder().build()), System.getenv(), Duration.ofSeconds(30),
                ProcessClientTransport.DEFAULT_MAX_LINE);
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
        client.initialize();
        String pids = ((McpSchema.TextContent) client.callTool(McpSchema.CallToolRequest.builder("pids").build())
                .content().get(0)).text();
        long shell = Long.parseLong(pids.split(" ")[1]);
        System.out.println("TREE " + Processes.tree(shell).stream().map(h -> String.valueOf(h.pid()))
                .collect(Collectors.joining(" ")));
        System.out.flush();
        System.exit(0);
    }
}
