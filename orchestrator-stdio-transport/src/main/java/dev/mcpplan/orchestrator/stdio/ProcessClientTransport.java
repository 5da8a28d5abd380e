package dev.mcpplan.orchestrator.stdio;

import dev.mcpplan.orchestrator.spi.ServerDefinition;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * An MCP client transport over a spawned process, written on plain threads: UTF-8 on every stream
 * whatever the platform charset; one writer; a non-JSON line on stdout is logged and skipped; stderr is
 * drained and its last lines kept; the server's environment is an allowlist plus its own {@code env};
 * when the process dies every pending request fails at once with its exit code and last stderr lines;
 * closing ends the whole process tree, escalating from stdin close to SIGTERM to SIGKILL.
 *
 * <p>Thread-safe.
 */
final class ProcessClientTransport implements McpClientTransport {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessClientTransport.class);
    static final Set<String> ALLOWED_ENV = Set.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE",
            "TZ", "TMPDIR", "TEMP", "TMP", "SHELL", "TERM", "SYSTEMROOT", "COMSPEC", "PATHEXT", "WINDIR", "APPDATA",
            "LOCALAPPDATA", "USERPROFILE", "NODE_PATH", "JAVA_HOME");
    private static final int STDERR_LINES = 20;
    private static final Duration GRACE = Duration.ofSeconds(2);

    private final ServerDefinition server;
    private final McpJsonMapper mapper;
    private final Map<String, String> hostEnvironment;
    private final Set<Object> pending = ConcurrentHashMap.newKeySet();
    private final Deque<String> stderrTail = new ArrayDeque<>();
    private Process process;
    private Writer stdin;
    private volatile String deathReason;
    private volatile boolean closing;
    private Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler;

    ProcessClientTransport(ServerDefinition server, McpJsonMapper mapper, Map<String, String> hostEnvironment) {
        this.server = server;
        this.mapper = mapper;
        this.hostEnvironment = Map.copyOf(hostEnvironment);
    }

    @Override
    public synchronized Mono<Void> connect(
            Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        this.handler = handler;
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().add(server.command().orElseThrow());
        builder.command().addAll(server.args());
        server.workingDirectory().ifPresent(d -> builder.directory(d.toFile()));
        Map<String, String> env = builder.environment();
        env.clear();
        hostEnvironment.forEach((k, v) -> {
            if (ALLOWED_ENV.contains(k.toUpperCase(java.util.Locale.ROOT))) {
                env.put(k, v);
            }
        });
        env.putAll(server.env());
        try {
            process = builder.start();
        } catch (IOException e) {
            deathReason = "server '" + server.name() + "' could not start: " + e.getMessage();
            return Mono.empty();
        }
        stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        thread("stdout", this::readStdout).start();
        thread("stderr", this::readStderr).start();
        process.onExit().thenRun(this::onExit);
        return Mono.empty();
    }

    private Thread thread(String what, Runnable body) {
        Thread t = new Thread(body, "mcp-" + server.name() + "-" + what);
        t.setDaemon(true);
        return t;
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                McpSchema.JSONRPCMessage message;
                try {
                    message = McpSchema.deserializeJsonRpcMessage(mapper, line);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("server '{}' wrote a line that is not JSON-RPC; skipped: {}", server.name(),
                            line.length() > 200 ? line.substring(0, 200) + "..." : line);
                    continue;
                }
                if (message instanceof McpSchema.JSONRPCResponse response) {
                    pending.remove(response.id());
                }
                handler.apply(Mono.just(message)).subscribe();
            }
        } catch (IOException e) {
            LOG.debug("server '{}' stdout closed: {}", server.name(), e.toString());
        }
    }

    private void readStderr() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                LOG.debug("[{}] {}", server.name(), line);
                synchronized (stderrTail) {
                    stderrTail.addLast(line);
                    if (stderrTail.size() > STDERR_LINES) {
                        stderrTail.removeFirst();
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("server '{}' stderr closed: {}", server.name(), e.toString());
        }
    }

    private void onExit() {
        String tail;
        synchronized (stderrTail) {
            tail = String.join(" | ", stderrTail);
        }
        deathReason = "server '" + server.name() + "' exited with code " + process.exitValue()
                + (tail.isEmpty() ? "" : "; last stderr: " + tail);
        if (!closing) {
            LOG.warn(deathReason);
        }
        for (Object id : List.copyOf(pending)) {
            pending.remove(id);
            handler.apply(Mono.just(new McpSchema.JSONRPCResponse(McpSchema.JSONRPC_VERSION, id, null,
                    new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INTERNAL_ERROR, deathReason, null))))
                    .subscribe();
        }
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        return Mono.fromRunnable(() -> {
            if (deathReason != null) {
                throw new IllegalStateException(deathReason);
            }
            if (message instanceof McpSchema.JSONRPCRequest request) {
                pending.add(request.id());
            }
            try {
                String json = mapper.writeValueAsString(message);
                synchronized (this) {
                    stdin.write(json);
                    stdin.write('\n');
                    stdin.flush();
                }
            } catch (IOException e) {
                throw new IllegalStateException(deathReason != null ? deathReason
                        : "server '" + server.name() + "' stdin closed: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public Mono<Void> closeGracefully() {
        return Mono.fromRunnable(this::terminate);
    }

    private void terminate() {
        closing = true;
        Process p = process;
        if (p == null) {
            return;
        }
        List<ProcessHandle> tree = p.descendants().toList();
        try {
            synchronized (this) {
                stdin.close();
            }
        } catch (IOException e) {
            LOG.debug("closing stdin of '{}': {}", server.name(), e.toString());
        }
        try {
            if (!p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroy();
                tree.forEach(ProcessHandle::destroy);
                if (!p.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return mapper.convertValue(data, typeRef);
    }
}
