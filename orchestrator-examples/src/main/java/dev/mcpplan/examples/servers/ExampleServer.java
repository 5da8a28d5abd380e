package dev.mcpplan.examples.servers;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the example servers share: the stdio server set-up (with immediate execution, so concurrent calls
 * are safe), tool declarations with schema and annotations, the folder option, idempotency-key memory,
 * and atomic file writes. Servers never write to stdout except the protocol.
 */
final class ExampleServer {
    static final String IDEMPOTENCY_KEY = "dev.mcpplan/idempotency-key";
    static final JsonMapper JSON = JsonMapper.builder().build();

    private ExampleServer() {}

    /** The folder given with {@code option} on the command line, created if missing. */
    static Path folder(String[] args, String option) throws IOException {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(option)) {
                return Files.createDirectories(Path.of(args[i + 1])).toRealPath();
            }
        }
        throw new IllegalArgumentException("usage: " + option + " DIR");
    }

    /**
     * Serves one side-effect tool that writes each call's arguments as a JSON file into {@code --outbox}.
     *
     * @param fileName the prefix and extension of the files, such as {@code post.txt}
     */
    static void outbox(String[] args, String server, String tool, String description, String fileName, String schema)
            throws IOException {
        Path outbox = folder(args, "--outbox");
        int dot = fileName.lastIndexOf('.');
        serve(
                server,
                List.of(tool(
                        tool,
                        description,
                        schema,
                        sideEffect(description),
                        request -> once(
                                outbox,
                                request,
                                r -> write(
                                        newFile(outbox, fileName.substring(0, dot), fileName.substring(dot)),
                                        JSON.writeValueAsString(r.arguments()) + "\n")))));
    }

    static void serve(String name, List<SyncToolSpecification> tools) {
        McpJsonMapper mapper = new JacksonMcpJsonMapper(JSON);
        McpServer.sync(new StdioServerTransportProvider(mapper))
                .serverInfo(name, "0.1.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .immediateExecution(true)
                .tools(tools)
                .build();
    }

    /**
     * A tool.
     *
     * @param schema the JSON schema of the arguments, as JSON text
     */
    static SyncToolSpecification tool(
            String name,
            String description,
            String schema,
            McpSchema.ToolAnnotations annotations,
            Function<McpSchema.CallToolRequest, CallToolResult> handler) {
        @SuppressWarnings("unchecked")
        Map<String, Object> inputSchema = JSON.readValue(schema, Map.class);
        return SyncToolSpecification.builder()
                .tool(new McpSchema.Tool(name, null, description, inputSchema, null, annotations, null, null))
                .callHandler((exchange, request) -> handler.apply(request))
                .build();
    }

    static McpSchema.ToolAnnotations sideEffect(String title) {
        return new McpSchema.ToolAnnotations(title, false, false, false, true, null);
    }

    static CallToolResult ok(String text, Map<String, Object> structured) {
        return CallToolResult.builder()
                .addTextContent(text)
                .structuredContent(structured)
                .isError(false)
                .build();
    }

    static CallToolResult error(String text) {
        return CallToolResult.builder().addTextContent(text).isError(true).build();
    }

    /**
     * Performs a side effect once per idempotency key: a key seen before returns the first outcome with
     * {@code duplicate: true} and does nothing. Keys are kept in {@code .idempotency-keys} in the folder,
     * so a restarted server still knows them.
     */
    static synchronized CallToolResult once(
            Path folder, McpSchema.CallToolRequest request, Function<McpSchema.CallToolRequest, String> effect) {
        Object key = request.meta() == null ? null : request.meta().get(IDEMPOTENCY_KEY);
        Path keys = folder.resolve(".idempotency-keys");
        try {
            if (key != null && Files.exists(keys)) {
                for (String line : Files.readAllLines(keys, StandardCharsets.UTF_8)) {
                    if (line.startsWith(key + "\t")) {
                        String file = line.substring(line.indexOf('\t') + 1);
                        return ok(
                                "Duplicate request " + key + ": already done as " + file + "; not done again",
                                Map.of("duplicate", true, "file", file));
                    }
                }
            }
            String file = effect.apply(request);
            if (key != null) {
                Files.writeString(
                        keys,
                        key + "\t" + file + "\n",
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            }
            return ok("Done: " + file, Map.of("duplicate", false, "file", file));
        } catch (IOException | RuntimeException e) {
            return error("failed: " + e.getMessage());
        }
    }

    /** Writes a file atomically and returns its name. */
    static String write(Path target, String content) {
        try {
            Files.createDirectories(target.getParent());
            Path temp = Files.createTempFile(target.getParent(), ".", ".tmp");
            Files.writeString(temp, content, StandardCharsets.UTF_8);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target.getFileName().toString();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A new file name in the folder: a timestamp and a counter. */
    static Path newFile(Path folder, String prefix, String extension) {
        return folder.resolve(prefix + "-" + System.currentTimeMillis() + "-" + System.nanoTime() % 100000 + extension);
    }

    static String text(McpSchema.CallToolRequest request, String key) {
        Object v = request.arguments().get(key);
        return v == null ? "" : String.valueOf(v);
    }
}
