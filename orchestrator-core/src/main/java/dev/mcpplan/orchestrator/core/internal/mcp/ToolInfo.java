package dev.mcpplan.orchestrator.core.internal.mcp;

import io.modelcontextprotocol.spec.McpSchema;
import java.util.Map;

/**
 * A tool as a server lists it, with the MCP spec's defaults applied where the server gives no hint:
 * not read-only, destructive, not idempotent, open-world. (The SDK leaves absent hints null.)
 *
 * @param name the tool's name
 * @param inputSchema the JSON schema of its arguments
 * @param readOnly whether the tool changes nothing
 * @param destructive whether the tool may destroy or overwrite
 * @param idempotent whether calling it twice with the same arguments has no further effect
 * @param openWorld whether the tool reaches outside the server
 */
public record ToolInfo(
        String name,
        Map<String, Object> inputSchema,
        boolean readOnly,
        boolean destructive,
        boolean idempotent,
        boolean openWorld) {

    static ToolInfo of(McpSchema.Tool tool) {
        McpSchema.ToolAnnotations a = tool.annotations();
        boolean readOnly = a != null && Boolean.TRUE.equals(a.readOnlyHint());
        return new ToolInfo(
                tool.name(),
                tool.inputSchema() == null ? Map.of() : tool.inputSchema(),
                readOnly,
                // the spec: destructive and idempotent are meaningful only when not read-only
                !readOnly && (a == null || a.destructiveHint() == null || a.destructiveHint()),
                readOnly || a != null && Boolean.TRUE.equals(a.idempotentHint()),
                a == null || a.openWorldHint() == null || a.openWorldHint());
    }

    /** Whether a second call after an unknown outcome is safe: read-only or idempotent. */
    public boolean safeToRepeat() {
        return readOnly || idempotent;
    }
}
