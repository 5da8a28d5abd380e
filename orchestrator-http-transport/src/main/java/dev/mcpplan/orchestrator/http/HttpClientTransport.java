package dev.mcpplan.orchestrator.http;

import dev.mcpplan.orchestrator.spi.PendingRequests;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import dev.mcpplan.orchestrator.spi.TransportContext;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpTransportSessionNotFoundException;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The SDK's Streamable HTTP transport with the guarantees of the stdio transport: each request has the
 * context's time-out (started again by progress, bounded by the longest call time) and is cancelled
 * with {@code notifications/cancelled} when it runs out; a request the server never got fails with a
 * {@link RequestNotSentException}, so that it may be sent again, while one that may have reached the
 * server keeps its own failure. A session the server no longer knows (it answered 404, or 400, to the
 * session's id: it restarted, or let the session expire) refused the request unrun: the request fails
 * as not sent, and so does every later one, so that the orchestrator drops this connection and opens a
 * new one, with a new session, before it sends the request again. (The SDK's client would open the new
 * session itself, but only after it has failed every request in flight as possibly sent, the refused
 * one among them.)
 *
 * <p>Thread-safe.
 */
final class HttpClientTransport implements McpClientTransport {
    private static final Logger LOG = LoggerFactory.getLogger(HttpClientTransport.class);

    private final McpClientTransport delegate;
    private final String server;
    private final PendingRequests pending;
    private volatile Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler;
    /** Why the server no longer knows the session, once it said so. */
    private volatile String sessionLost;

    HttpClientTransport(McpClientTransport delegate, String server, TransportContext context) {
        this.delegate = delegate;
        this.server = server;
        this.pending = new PendingRequests(
                server, context, message -> handler.apply(Mono.just(message)).subscribe(), this::cancel);
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        this.handler = handler;
        return delegate.connect(
                messages -> messages.filter(pending::received).flatMap(m -> handler.apply(Mono.just(m))));
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        if (!(message instanceof McpSchema.JSONRPCRequest request)) {
            return delegate.sendMessage(message);
        }
        return Mono.defer(() -> {
                    if (sessionLost != null) {
                        return Mono.error(new RequestNotSentException(sessionLost));
                    }
                    pending.sending(request);
                    return delegate.sendMessage(message);
                })
                .onErrorMap(this::notSent)
                .doOnError(e -> pending.forget(request.id()));
    }

    /** A session the server forgot refused the request before running it: the request was not sent. */
    private Throwable notSent(Throwable failure) {
        if (failure instanceof McpTransportSessionNotFoundException) {
            lost();
            return new RequestNotSentException(sessionLost, failure);
        }
        return failure;
    }

    private void lost() {
        if (sessionLost == null) {
            sessionLost = "server '" + server + "' no longer knows this client's session and refused the request"
                    + " unrun; the connection is opened again";
            LOG.info(sessionLost);
        }
    }

    /** Tells the server to stop a request that timed out. */
    private void cancel(McpSchema.JSONRPCNotification cancellation) {
        delegate.sendMessage(cancellation)
                .subscribe(
                        ignored -> {},
                        e -> LOG.debug("could not send the cancellation to '{}': {}", server, e.toString()));
    }

    /** Every failure but a lost session goes to the client; that one ends this connection instead. */
    @Override
    public void setExceptionHandler(Consumer<Throwable> handler) {
        delegate.setExceptionHandler(failure -> {
            if (failure instanceof McpTransportSessionNotFoundException) {
                lost();
            } else {
                handler.accept(failure);
            }
        });
    }

    @Override
    public List<String> protocolVersions() {
        return delegate.protocolVersions();
    }

    @Override
    public Mono<Void> closeGracefully() {
        return delegate.closeGracefully().doFinally(signal -> pending.failAll("server '" + server + "' was closed"));
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return delegate.unmarshalFrom(data, typeRef);
    }
}
