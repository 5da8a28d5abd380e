package dev.mcpplan.orchestrator.core.internal.mcp;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A transport in front of another that drops {@code notifications/tools/list_changed} until the first
 * {@code tools/list} request has been sent. Some servers (the reference {@code server-everything}
 * among them) announce a change while they start; the SDK's client answers every such notice with a
 * {@code tools/list} of its own, so that a start asked for the tools twice. A notice that comes before
 * our first listing is covered by that listing; every later one is passed on.
 *
 * <p>Thread-safe.
 */
final class InitialListGate implements McpClientTransport {
    private final McpClientTransport delegate;
    private volatile boolean listed;

    InitialListGate(McpClientTransport delegate) {
        this.delegate = delegate;
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        return delegate.connect(messages -> handler.apply(messages.filter(m -> listed || !listChanged(m))));
    }

    private static boolean listChanged(McpSchema.JSONRPCMessage message) {
        return message instanceof McpSchema.JSONRPCNotification n
                && McpSchema.METHOD_NOTIFICATION_TOOLS_LIST_CHANGED.equals(n.method());
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        if (message instanceof McpSchema.JSONRPCRequest r && McpSchema.METHOD_TOOLS_LIST.equals(r.method())) {
            listed = true;
        }
        return delegate.sendMessage(message);
    }

    @Override
    public void setExceptionHandler(Consumer<Throwable> handler) {
        delegate.setExceptionHandler(handler);
    }

    @Override
    public List<String> protocolVersions() {
        return delegate.protocolVersions();
    }

    @Override
    public Mono<Void> closeGracefully() {
        return delegate.closeGracefully();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return delegate.unmarshalFrom(data, typeRef);
    }
}
