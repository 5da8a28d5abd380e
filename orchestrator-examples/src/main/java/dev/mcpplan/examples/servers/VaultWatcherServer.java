package dev.mcpplan.examples.servers;

import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An example vault server: {@code read_vault}, {@code write_vault} and {@code list_vault}, confined to
 * {@code --vault DIR}. A path with {@code ..}, an absolute path, or one whose real location (symbolic
 * links followed) leaves the vault is refused.
 */
public final class VaultWatcherServer {
    private VaultWatcherServer() {}

    public static void main(String[] args) throws IOException {
        Path vault = ExampleServer.folder(args, "--vault");
        String pathOnly = """
                {"type":"object","additionalProperties":false,"required":["path"],
                 "properties":{"path":{"type":"string","minLength":1}}}
                """;
        ExampleServer.serve(
                "vault-watcher",
                List.of(
                        ExampleServer.tool(
                                "read_vault",
                                "Reads a note from the vault.",
                                pathOnly,
                                new McpSchema.ToolAnnotations("Read note", true, false, true, false, null),
                                request -> read(vault, request)),
                        ExampleServer.tool(
                                "write_vault",
                                "Writes a note into the vault.",
                                """
                        {"type":"object","additionalProperties":false,"required":["path","content"],
                         "properties":{"path":{"type":"string","minLength":1},"content":{"type":"string"},
                           "mode":{"enum":["overwrite","append"]}}}
                        """,
                                new McpSchema.ToolAnnotations("Write note", false, true, true, false, null),
                                request -> write(vault, request)),
                        ExampleServer.tool(
                                "list_vault",
                                "Lists notes in a vault folder.",
                                """
                        {"type":"object","additionalProperties":false,"properties":{"path":{"type":"string"}}}
                        """,
                                new McpSchema.ToolAnnotations("List notes", true, false, true, false, null),
                                request -> list(vault, request))));
    }

    /** The path inside the vault, or null when it would leave the vault. */
    static Path confine(Path vault, String relative) throws IOException {
        Path given = Path.of(relative);
        if (given.isAbsolute() || relative.startsWith("/") || relative.startsWith("\\")) {
            return null;
        }
        for (Path part : given) {
            if (part.toString().equals("..")) {
                return null;
            }
        }
        Path target = vault.resolve(given).normalize();
        Path existing = target;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null || (Files.isSymbolicLink(existing) && !Files.exists(existing))) {
            return null; // a dangling link would be followed by the write, wherever it points
        }
        return existing.toRealPath().startsWith(vault) ? target : null;
    }

    private static CallToolResult refused(String path) {
        return ExampleServer.error("refused: '" + path + "' is outside the vault");
    }

    private static CallToolResult read(Path vault, McpSchema.CallToolRequest request) {
        String path = ExampleServer.text(request, "path");
        try {
            Path file = confine(vault, path);
            if (file == null) {
                return refused(path);
            }
            if (!Files.isRegularFile(file)) {
                return ExampleServer.error("no note at '" + path + "'");
            }
            return ExampleServer.ok(Files.readString(file, StandardCharsets.UTF_8), Map.of("path", path));
        } catch (IOException e) {
            return ExampleServer.error("cannot read '" + path + "': " + e.getMessage());
        }
    }

    private static CallToolResult write(Path vault, McpSchema.CallToolRequest request) {
        String path = ExampleServer.text(request, "path");
        try {
            Path file = confine(vault, path);
            if (file == null) {
                return refused(path);
            }
            String content = ExampleServer.text(request, "content");
            if ("append".equals(request.arguments().get("mode")) && Files.exists(file)) {
                content = Files.readString(file, StandardCharsets.UTF_8) + content;
            }
            ExampleServer.write(file, content);
            return ExampleServer.ok("Wrote " + path, Map.of("path", path));
        } catch (IOException | RuntimeException e) {
            return ExampleServer.error("cannot write '" + path + "': " + e.getMessage());
        }
    }

    private static CallToolResult list(Path vault, McpSchema.CallToolRequest request) {
        String path = request.arguments().containsKey("path") ? ExampleServer.text(request, "path") : ".";
        try {
            Path dir = confine(vault, path);
            if (dir == null) {
                return refused(path);
            }
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names =
                        files.map(p -> vault.relativize(p).toString()).sorted().toList();
                return ExampleServer.ok(String.join("\n", names), Map.of("files", names));
            }
        } catch (IOException e) {
            return ExampleServer.error("cannot list '" + path + "': " + e.getMessage());
        }
    }
}
