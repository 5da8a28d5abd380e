package dev.mcpplan.orchestrator.spi;

import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The requests a transport has sent and not yet seen answered, each with the time-out its
 * {@link TransportContext} gives: a request with neither answer nor progress for the request time-out
 * (the start time-out until the server has answered its first {@code tools/list}), or running past the
 * longest call time, is failed with a JSON-RPC error {@value #REQUEST_TIMEOUT} handed to the client, and
 * the server is told to stop it with {@value #CANCELLED}. Each progress notification for a request's
 * {@code progressToken} starts its time-out again. {@code initialize} is left to the client's own
 * initialization time-out.
 *
 * <p>A transport calls {@link #sending} before it writes a request, {@link #forget} when the write
 * failed, {@link #received} for every message from the server, and {@link #failAll} when the
 * connection is gone.
 *
 * <p>Thread-safe.
 */
public final class PendingRequests {
    /** JSON-RPC error code for a request that timed out (the code the reference SDKs use). */
    public static final int REQUEST_TIMEOUT = -32001;
    /** The cancellation notification of the MCP specification; the SDK has no constant for it. */
    public static final String CANCELLED = "notifications/cancelled";

    private static final Logger LOG = LoggerFactory.getLogger(PendingRequests.class);
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mcp-request-timeouts");
        t.setDaemon(true);
        return t;
    });

    private final String server;
    private final Duration requestTimeout;
    private final Duration maxCallTime;
    private final Duration startTimeout;
    private final Consumer<McpSchema.JSONRPCMessage> client;
    private final Consumer<McpSchema.JSONRPCNotification> cancel;
    private final Map<Object, Pending> pending = new ConcurrentHashMap<>();
    /** The pending request of each progress token, keyed by the token's text. */
    private final Map<String, Object> progressTokens = new ConcurrentHashMap<>();
    /** Whether the server has answered its first {@code tools/list}: until then it is starting. */
    private volatile boolean started;

    /**
     * @param server the server's name, for messages
     * @param context the request time-out, the start time-out and the longest call time
     * @param client where a failure of a request goes: the handler the client connected with
     * @param cancel sends a cancellation to the server; called once for each request that timed out
     */
    public PendingRequests(
            String server,
            TransportContext context,
            Consumer<McpSchema.JSONRPCMessage> client,
            Consumer<McpSchema.JSONRPCNotification> cancel) {
        this.server = server;
        this.requestTimeout = context.requestTimeout();
        this.maxCallTime = context.maxCallTime();
        this.startTimeout = context.startTimeout();
        this.client = client;
        this.cancel = cancel;
    }

    /** Tracks a request about to be written, and starts its time-out. */
    public void sending(McpSchema.JSONRPCRequest request) {
        Object token = request.params() instanceof McpSchema.Request p ? p.progressToken() : null;
        Pending p = new Pending(request.id(), request.method(), token == null ? null : String.valueOf(token));
        pending.put(request.id(), p);
        if (p.progressToken != null) {
            progressTokens.put(p.progressToken, request.id());
        }
        if (!McpSchema.METHOD_INITIALIZE.equals(request.method())) {
            p.restart();
        }
    }

    /** Stops tracking a request: its write failed, and the client learns that from the write. */
    public void forget(Object id) {
        Pending p = pending.remove(id);
        if (p != null) {
            answered(p);
        }
    }

    /**
     * Takes note of a message from the server: a response ends its request, a progress notification
     * starts its request's time-out again.
     *
     * @return whether the message is for the client: false for the response to a request already
     *     failed here (a time-out), which the client no longer waits for
     */
    public boolean received(McpSchema.JSONRPCMessage message) {
        if (message instanceof McpSchema.JSONRPCResponse response) {
            Pending request = pending.remove(response.id());
            if (request == null) {
                LOG.debug("server '{}' answered request {} after it was given up; dropped", server, response.id());
                return false;
            }
            answered(request);
            if (McpSchema.METHOD_TOOLS_LIST.equals(request.method)) {
                started = true;
            }
        } else if (message instanceof McpSchema.JSONRPCNotification notification
                && McpSchema.METHOD_NOTIFICATION_PROGRESS.equals(notification.method())
                && notification.params() instanceof Map<?, ?> params) {
            Object id = progressTokens.get(String.valueOf(params.get("progressToken")));
            Pending request = id == null ? null : pending.get(id);
            if (request != null) {
                request.restart(); // progress is life: the time-out starts again
            }
        }
        return true;
    }

    /** Fails every pending request with an internal error that says why: the connection is gone. */
    public void failAll(String reason) {
        for (Object id : List.copyOf(pending.keySet())) {
            fail(id, McpSchema.ErrorCodes.INTERNAL_ERROR, reason);
        }
    }

    /** How many requests wait for a response. */
    public int size() {
        return pending.size();
    }

    /** Fails a pending request, unless its response or another failure came first. */
    private boolean fail(Object id, int code, String message) {
        Pending request = pending.remove(id);
        if (request == null) {
            return false;
        }
        answered(request);
        client.accept(new McpSchema.JSONRPCResponse(
                McpSchema.JSONRPC_VERSION, id, null, new McpSchema.JSONRPCResponse.JSONRPCError(code, message, null)));
        return true;
    }

    private void answered(Pending request) {
        request.cancelTimeout();
        if (request.progressToken != null) {
            progressTokens.remove(request.progressToken);
        }
    }

    /** How long a request may go without an answer or progress: longer while the server starts. */
    private Duration idleTimeout() {
        return started || startTimeout.compareTo(requestTimeout) <= 0 ? requestTimeout : startTimeout;
    }

    private void timedOut(Object id, String method, Duration idle, boolean atMaxCallTime) {
        String message = atMaxCallTime
                ? "request '" + method + "' to server '" + server + "' timed out: it ran "
                        + maxCallTime.toMillis() + " ms, the longest a call may run (maxCallTime), though it"
                        + " reported progress"
                : "request '" + method + "' to server '" + server + "' timed out after " + idle.toMillis()
                        + " ms without an answer or progress";
        if (fail(id, REQUEST_TIMEOUT, message)) {
            LOG.warn("{}; cancelling it", message);
            cancel.accept(new McpSchema.JSONRPCNotification(
                    McpSchema.JSONRPC_VERSION, CANCELLED, Map.of("requestId", id, "reason", message)));
        }
    }

    /**
     * A request waiting for its response, with its time-out, which starts again with each progress
     * notification for its token until the longest call time is reached.
     */
    private final class Pending {
        final Object id;
        final String method;
        final String progressToken;
        final long sent = System.nanoTime();
        private ScheduledFuture<?> timeout;
        private boolean done;

        Pending(Object id, String method, String progressToken) {
            this.id = id;
            this.method = method;
            this.progressToken = progressToken;
        }

        synchronized void restart() {
            if (done) {
                return;
            }
            if (timeout != null) {
                timeout.cancel(false);
            }
            Duration idle = idleTimeout();
            long left = maxCallTime.toNanos() - (System.nanoTime() - sent);
            boolean last = left <= idle.toNanos();
            timeout = TIMER.schedule(
                    () -> timedOut(id, method, idle, last),
                    Math.max(0, last ? left : idle.toNanos()),
                    TimeUnit.NANOSECONDS);
        }

        synchronized void cancelTimeout() {
            done = true;
            if (timeout != null) {
                timeout.cancel(false);
            }
        }
    }
}
