package dev.mcpplan.orchestrator.stdio;

import dev.mcpplan.orchestrator.spi.PendingRequests;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * An MCP client transport over a spawned process, written on plain threads: UTF-8 on every stream
 * whatever the platform charset; one writer; a non-JSON line on stdout is logged and skipped, a line
 * longer than the bound is dropped without being held in memory; stderr is drained and its last lines
 * kept, redacted; the server's environment is an allowlist plus its own {@code env}; when the process
 * dies every pending request fails at once with its exit code and last stderr lines, and a later one
 * with a {@link RequestNotSentException} that says the same; a request that outlives its time-out
 * (which each progress notification for its token starts again, up to the longest call time) is
 * failed, removed and cancelled with {@code notifications/cancelled}; closing, and a JVM shutdown, end
 * the whole process tree, escalating from stdin close to SIGTERM to SIGKILL. Each server runs in a
 * session of its own, watched by the JVM's {@link HostWatchdog} and recorded by {@link
 * ProcessRecords}, so that it dies with a killed host, or at the latest when a host starts again.
 *
 * <p>Thread-safe.
 */
final class ProcessClientTransport implements McpClientTransport {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessClientTransport.class);
    /** The longest stdout line kept, in characters: 16 Mi, as the SDK's default. */
    static final int DEFAULT_MAX_LINE = 16 * 1024 * 1024;

    private static final int STDERR_LINES = 20;
    private static final Duration GRACE = Duration.ofSeconds(2);
    private static final Duration STDERR_WAIT = Duration.ofMillis(500);

    private final ServerDefinition server;
    private final McpJsonMapper mapper;
    private final Map<String, String> hostEnvironment;
    private final List<String> inherited;
    private final UnaryOperator<String> redactor;
    private final Path stateDirectory;
    private final int maxLine;
    private final PendingRequests pending;

    private final Deque<String> stderrTail = new ArrayDeque<>();
    private Process process;
    private Thread stderrReader;
    private CompletableFuture<Void> exited;
    private Writer stdin;
    private volatile String deathReason;
    private volatile boolean closing;
    private Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler;

    /**
     * @param context the request time-out (how long a request may wait for its response or its next
     *     progress; {@code initialize} excepted: the client's initialization time-out governs it), the
     *     longest call, the inherited variables, the redactor and the state directory
     * @param maxLine the longest stdout line kept, in characters
     */
    ProcessClientTransport(
            ServerDefinition server, TransportContext context, Map<String, String> hostEnvironment, int maxLine) {
        this.server = server;
        this.mapper = context.jsonMapper();
        this.hostEnvironment = Map.copyOf(hostEnvironment);
        this.inherited = List.copyOf(context.inheritedEnvironment());
        this.redactor = context.redactor();
        this.stateDirectory = context.stateDirectory();
        this.maxLine = maxLine;
        this.pending = new PendingRequests(
                server.name(),
                context,
                message -> handler.apply(Mono.just(message)).subscribe(),
                this::cancel);
    }

    /**
     * The server's environment: the host variables that {@code inherited} names (ignoring case; a
     * trailing {@code *} matches a prefix), then the server's own.
     */
    static Map<String, String> environment(Map<String, String> host, List<String> inherited, Map<String, String> own) {
        List<String> exact = new ArrayList<>();
        List<String> prefixes = new ArrayList<>();
        for (String name : inherited) {
            String upper = name.toUpperCase(Locale.ROOT);
            if (upper.endsWith("*")) {
                prefixes.add(upper.substring(0, upper.length() - 1));
            } else {
                exact.add(upper);
            }
        }
        Map<String, String> env = new TreeMap<>();
        host.forEach((k, v) -> {
            String upper = k.toUpperCase(Locale.ROOT);
            if (exact.contains(upper) || prefixes.stream().anyMatch(upper::startsWith)) {
                env.put(k, v);
            }
        });
        env.putAll(own);
        return env;
    }

    @Override
    public synchronized Mono<Void> connect(
            Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        this.handler = handler;
        ProcessRecords.endLeftovers(stateDirectory);
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().addAll(HostWatchdog.sessionCommand());
        builder.command().add(server.command().orElseThrow());
        builder.command().addAll(server.args());
        server.workingDirectory().ifPresent(d -> builder.directory(d.toFile()));
        Map<String, String> env = builder.environment();
        env.clear();
        env.putAll(environment(hostEnvironment, inherited, server.env()));
        String command = server.command().orElseThrow();
        if (!HostWatchdog.sessionCommand().isEmpty() && !executable(command, env.get("PATH"))) {
            // behind setsid a missing command would show only as exit code 127: say what Java would say
            deathReason = "server '" + server.name() + "' could not start: Cannot run program \"" + command
                    + "\": error=2, No such file or directory" + (command.contains("/") ? "" : " (not on its PATH)");
            return Mono.empty();
        }
        try {
            process = builder.start();
        } catch (IOException e) {
            deathReason = "server '" + server.name() + "' could not start: " + e.getMessage();
            return Mono.empty();
        }
        ShutdownReaper.register(process);
        HostWatchdog.add(process.pid());
        ProcessRecords.add(stateDirectory, process.toHandle());
        stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        thread("stdout", this::readStdout).start();
        stderrReader = thread("stderr", this::readStderr);
        stderrReader.start();
        exited = process.onExit().thenRun(this::onExit);
        return Mono.empty();
    }

    private boolean executable(String command, String path) {
        if (command.contains("/")) {
            Path file = server.workingDirectory().map(d -> d.resolve(command)).orElse(Path.of(command));
            return Files.isExecutable(file);
        }
        return path != null
                && Arrays.stream(path.split(File.pathSeparator))
                        .anyMatch(dir -> Files.isExecutable(Path.of(dir.isEmpty() ? "." : dir, command)));
    }

    private Thread thread(String what, Runnable body) {
        Thread t = new Thread(body, "mcp-" + server.name() + "-" + what);
        t.setDaemon(true);
        return t;
    }

    private void readStdout() {
        try (Reader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
            BoundedLineReader lines = new BoundedLineReader(
                    in,
                    maxLine,
                    length -> LOG.warn(
                            "server '{}' wrote a line of more than {} characters; dropped", server.name(), length));
            String line;
            while ((line = lines.readLine()) != null) {
                if (!line.isBlank()) {
                    receive(line);
                }
            }
        } catch (IOException e) {
            LOG.debug("server '{}' stdout closed: {}", server.name(), e.toString());
        }
    }

    private void receive(String line) {
        McpSchema.JSONRPCMessage message;
        try {
            message = McpSchema.deserializeJsonRpcMessage(mapper, line);
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "server '{}' wrote a line that is not JSON-RPC; skipped: {}",
                    server.name(),
                    line.length() > 200 ? line.substring(0, 200) + "..." : line);
            return;
        }
        if (pending.received(message)) {
            handler.apply(Mono.just(message)).subscribe();
        }
    }

    private void readStderr() {
        try (Reader in = new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)) {
            BoundedLineReader lines = new BoundedLineReader(in, maxLine, length -> {});
            for (String raw = lines.readLine(); raw != null; raw = lines.readLine()) {
                String line = redactor.apply(raw);
                LOG.debug("[{}] {}", server.name(), line);
                synchronized (stderrTail) {
                    stderrTail.addLast(line.length() > 500 ? line.substring(0, 500) + "..." : line);
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
        untrack(process);
        try {
            stderrReader.join(STDERR_WAIT.toMillis()); // its last lines say why it died
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String tail;
        synchronized (stderrTail) {
            tail = String.join(" | ", stderrTail);
        }
        deathReason = "server '" + server.name() + "' exited with code " + process.exitValue()
                + (tail.isEmpty() ? "" : "; last stderr: " + tail);
        if (!closing) {
            LOG.warn(deathReason);
        }
        pending.failAll(deathReason);
    }

    /** Tells the server to stop a request that timed out, unless the server is gone. */
    private void cancel(McpSchema.JSONRPCNotification cancellation) {
        if (deathReason != null) {
            return;
        }
        try {
            write(cancellation);
        } catch (IOException e) {
            LOG.debug("could not send the cancellation to '{}': {}", server.name(), e.toString());
        }
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        return Mono.fromRunnable(() -> {
            if (deathReason != null) {
                throw new RequestNotSentException(deathReason);
            }
            Object id = null;
            if (message instanceof McpSchema.JSONRPCRequest r) {
                id = r.id();
                pending.sending(r);
                if (deathReason != null) { // the process died between the check and the tracking
                    pending.forget(id);
                    throw new RequestNotSentException(deathReason);
                }
            }
            try {
                write(message);
            } catch (IOException e) {
                if (id != null) {
                    pending.forget(id);
                }
                // a line the server cannot read whole is a request it never got
                throw new RequestNotSentException(
                        exitReason().orElse("server '" + server.name() + "' stdin closed: " + e.getMessage()), e);
            }
        });
    }

    private void write(McpSchema.JSONRPCMessage message) throws IOException {
        String json = mapper.writeValueAsString(message);
        synchronized (this) {
            stdin.write(json);
            stdin.write('\n');
            stdin.flush();
        }
    }

    /** Why the process is gone, waiting briefly for its exit to be seen after its stdin broke. */
    private Optional<String> exitReason() {
        try {
            exited.get(STDERR_WAIT.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("server '{}' broke its stdin but has not exited", server.name());
        }
        return Optional.ofNullable(deathReason);
    }

    /** How many requests wait for a response. */
    int pendingRequests() {
        return pending.size();
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
        untrack(p);
    }

    private void untrack(Process p) {
        ShutdownReaper.unregister(p);
        HostWatchdog.remove(p.pid());
        ProcessRecords.remove(stateDirectory, p.pid());
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return mapper.convertValue(data, typeRef);
    }
}
