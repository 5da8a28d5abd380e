package dev.mcpplan.orchestrator.stdio;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A minimal MCP server over stdio, written without the SDK so that it can misbehave exactly as a test
 * needs. Each request is handled on a thread of its own, so that answers can come out of order.
 * Tools: {@code echo} (text), {@code utf8}, {@code noisy} (a non-JSON line first), {@code text} (a text
 * of {@code size} characters), {@code env} (the names of its environment variables), {@code pids}
 * (its pid and its parent's), {@code slow} (sleeps {@code ms}), {@code cancelled} (the ids of the
 * requests cancelled so far), {@code crash} (a stderr line, then exit code 3), {@code progress}
 * ({@code steps} progress notifications {@code ms} apart for the request's {@code progressToken}),
 * {@code log} (a {@code notifications/message} of {@code level} with {@code data}), {@code methods}
 * (the methods of every request so far, in order).
 * Options: {@code --exit-on-start CODE}; {@code --list-changed-on-start} (a
 * {@code notifications/tools/list_changed} before the answer to {@code initialize}, as some servers send).
 */
public final class ScriptServer {
    static final String UTF8_TEXT = "Grüße aus Köln, 東京, ½ €, 🙂";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    private static final PrintStream ERR =
            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    private static final List<String> CANCELLED = new CopyOnWriteArrayList<>();
    private static final List<String> METHODS = new CopyOnWriteArrayList<>();
    private static boolean listChangedOnStart;

    private ScriptServer() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 2 && args[0].equals("--exit-on-start")) {
            ERR.println("script server: exiting on start as told");
            System.exit(Integer.parseInt(args[1]));
        }
        listChangedOnStart = List.of(args).contains("--list-changed-on-start");
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        BufferedReader in = new BufferedReader(
                new InputStreamReader(new FileInputStream(FileDescriptor.in), StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            JsonNode message = JSON.readTree(line);
            if (!message.has("id")) {
                if (message.path("method").asString().equals("notifications/cancelled")) {
                    CANCELLED.add(message.path("params").path("requestId").asString());
                }
                continue;
            }
            METHODS.add(message.path("method").asString());
            pool.execute(() -> answer(message));
        }
        System.exit(0);
    }

    private static void answer(JsonNode request) {
        JsonNode id = request.get("id");
        JsonNode params = request.path("params");
        Object result = switch (request.path("method").asString()) {
            case "initialize" -> {
                if (listChangedOnStart) {
                    send(Map.of("jsonrpc", "2.0", "method", "notifications/tools/list_changed"));
                }
                yield Map.of(
                        "protocolVersion",
                        params.path("protocolVersion").asString(),
                        "capabilities",
                        Map.of("tools", Map.of()),
                        "serverInfo",
                        Map.of("name", "script-server", "version", "1.0"));
            }
            case "tools/list" ->
                Map.of(
                        "tools",
                        List.of(
                                        "echo",
                                        "utf8",
                                        "noisy",
                                        "text",
                                        "env",
                                        "pids",
                                        "slow",
                                        "cancelled",
                                        "crash",
                                        "progress",
                                        "log",
                                        "methods")
                                .stream()
                                .map(name -> Map.of("name", name, "inputSchema", Map.of("type", "object")))
                                .toList());
            case "tools/call" -> call(params);
            default -> Map.of();
        };
        send(Map.of("jsonrpc", "2.0", "id", id, "result", result));
    }

    private static Map<String, Object> call(JsonNode params) {
        String tool = params.path("name").asString();
        JsonNode arguments = params.path("arguments");
        return text(
                switch (tool) {
                    case "echo" -> arguments.path("text").asString();
                    case "utf8" -> UTF8_TEXT;
                    case "noisy" -> {
                        synchronized (OUT) {
                            OUT.println("INFO starting the noisy tool (this line is not JSON)");
                        }
                        yield "quiet again";
                    }
                    case "text" -> "x".repeat(arguments.path("size").asInt());
                    case "env" -> String.join(",", new TreeSet<>(System.getenv().keySet()));
                    case "pids" ->
                        ProcessHandle.current().pid() + " "
                                + ProcessHandle.current()
                                        .parent()
                                        .map(ProcessHandle::pid)
                                        .orElse(-1L);
                    case "slow" -> {
                        sleep(arguments.path("ms").asLong());
                        yield "slept";
                    }
                    case "cancelled" -> String.join(",", CANCELLED);
                    case "methods" -> String.join(",", METHODS);
                    case "progress" -> {
                        JsonNode token = params.path("_meta").path("progressToken");
                        int steps = arguments.path("steps").asInt();
                        for (int i = 1; i <= steps; i++) {
                            sleep(arguments.path("ms").asLong());
                            if (!token.isMissingNode()) {
                                send(Map.of(
                                        "jsonrpc",
                                        "2.0",
                                        "method",
                                        "notifications/progress",
                                        "params",
                                        Map.of(
                                                "progressToken",
                                                token,
                                                "progress",
                                                i,
                                                "total",
                                                steps,
                                                "message",
                                                "step " + i)));
                            }
                        }
                        yield "done after " + steps + " steps";
                    }
                    case "log" -> {
                        send(Map.of(
                                "jsonrpc",
                                "2.0",
                                "method",
                                "notifications/message",
                                "params",
                                Map.of(
                                        "level",
                                        arguments.path("level").asString(),
                                        "logger",
                                        "script",
                                        "data",
                                        arguments.path("data").asString())));
                        yield "logged";
                    }
                    case "crash" -> {
                        ERR.println("script server: Absturz, Grüße");
                        Runtime.getRuntime().halt(3);
                        yield "unreachable";
                    }
                    default -> throw new IllegalArgumentException("unknown tool " + tool);
                });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, Object> text(String text) {
        return Map.of("content", List.of(Map.of("type", "text", "text", text)), "isError", false);
    }

    private static void send(Object message) {
        String json = JSON.writeValueAsString(message);
        synchronized (OUT) {
            OUT.println(json);
            OUT.flush();
        }
    }
}
