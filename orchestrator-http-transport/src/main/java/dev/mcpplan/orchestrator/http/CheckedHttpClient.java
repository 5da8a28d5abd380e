package dev.mcpplan.orchestrator.http;

import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import io.modelcontextprotocol.json.McpJsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Authenticator;
import java.net.ConnectException;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;

/**
 * The JDK's HTTP client with the two things the SDK's Streamable HTTP transport does not say: whether a
 * failed request left this machine, and what the server's status meant. A request that never reached the
 * server (connection refused, no such host, no connection in time, a TLS handshake refused) fails with a
 * {@link RequestNotSentException}; an answer with status 401, 403, 429, 5xx, or 400 outside a session fails
 * with an {@link HttpStatusException} that carries the status, the server's {@code Retry-After} and the
 * JSON-RPC error in the body, redacted. Every other answer goes to the SDK as it came.
 *
 * <p>Thread-safe, as the client it wraps.
 */
final class CheckedHttpClient extends HttpClient {
    /** How much of a refusal's body is read for its message. */
    private static final int MAX_ERROR_BODY = 16 * 1024;

    private static final String SESSION_HEADER = "Mcp-Session-Id";

    private final HttpClient delegate;
    private final String server;
    private final McpJsonMapper mapper;
    private final List<String> revisions;
    private final UnaryOperator<String> redactor;
    private final Clock clock;

    CheckedHttpClient(
            HttpClient delegate,
            String server,
            McpJsonMapper mapper,
            List<String> revisions,
            UnaryOperator<String> redactor,
            Clock clock) {
        this.delegate = delegate;
        this.server = server;
        this.mapper = mapper;
        this.revisions = List.copyOf(revisions);
        this.redactor = redactor;
        this.clock = clock;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        Refusal refusal = new Refusal();
        return delegate.sendAsync(request, checked(request, handler, refusal))
                .handle((response, failure) -> answer(request, response, failure, refusal));
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
            HttpRequest request,
            HttpResponse.BodyHandler<T> handler,
            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        Refusal refusal = new Refusal();
        return delegate.sendAsync(request, checked(request, handler, refusal), pushPromiseHandler)
                .handle((response, failure) -> answer(request, response, failure, refusal));
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        try {
            return sendAsync(request, handler).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        }
    }

    /** Reads the body of a refusal (up to a bound) instead of handing it to the SDK. */
    private <T> HttpResponse.BodyHandler<T> checked(
            HttpRequest request, HttpResponse.BodyHandler<T> handler, Refusal refusal) {
        return info -> {
            int status = info.statusCode();
            boolean inSession = request.headers().firstValue(SESSION_HEADER).isPresent();
            if (status == 401 || status == 403 || status == 429 || status >= 500 || status == 400 && !inSession) {
                refusal.status = status;
                refusal.headers = info.headers();
                return HttpResponse.BodySubscribers.mapping(
                        HttpResponse.BodySubscribers.ofByteArrayConsumer(refusal::read), ignored -> null);
            }
            return handler.apply(info);
        };
    }

    private <T> HttpResponse<T> answer(
            HttpRequest request, HttpResponse<T> response, Throwable failure, Refusal refusal) {
        if (failure != null) {
            Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            throw new CompletionException(
                    neverSent(cause)
                            // without the cause: callers name the outermost and the root failure, and
                            // this message, which says that nothing was sent, is the one that counts
                            ? new RequestNotSentException("server '" + server + "' could not be reached at "
                                    + request.uri() + ": " + describe(cause))
                            : cause);
        }
        if (refusal.status != 0) {
            throw new CompletionException(refusal.exception(request));
        }
        return response;
    }

    /**
     * Whether the failure came before the request left: no connection was made, or the TLS handshake,
     * which comes before any byte of the request, failed (a certificate the JDK does not trust).
     */
    private static boolean neverSent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof HttpConnectTimeoutException
                    || t instanceof UnresolvedAddressException
                    || t instanceof SSLHandshakeException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SSLHandshakeException) {
                return "the TLS handshake failed (the JDK's trust store decides which certificates count): "
                        + t.getMessage();
            }
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }

    /** A status the SDK is not to see, with the start of its body. */
    private final class Refusal {
        int status;
        HttpHeaders headers;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        void read(Optional<byte[]> chunk) {
            chunk.ifPresent(bytes -> body.write(bytes, 0, Math.min(bytes.length, MAX_ERROR_BODY - body.size())));
        }

        HttpStatusException exception(HttpRequest request) {
            Optional<Duration> retryAfter = headers.firstValue("Retry-After").flatMap(this::retryAfter);
            String message = "server '" + server + "' answered " + request.method() + " " + request.uri()
                    + " with HTTP " + status + " " + reason()
                    + retryAfter
                            .map(d -> " (Retry-After: " + d.toMillis() + " ms)")
                            .orElse("")
                    + errorText().map(e -> ": " + e).orElse("");
            return new HttpStatusException(redactor.apply(message), status, retryAfter.orElse(null));
        }

        private String reason() {
            return switch (status) {
                case 400 -> "Bad Request";
                case 401 -> "Unauthorized";
                case 403 -> "Forbidden";
                case 429 -> "Too Many Requests";
                case 500 -> "Internal Server Error";
                case 502 -> "Bad Gateway";
                case 503 -> "Service Unavailable";
                case 504 -> "Gateway Timeout";
                default -> "";
            };
        }

        /** Seconds, or an HTTP date. */
        private Optional<Duration> retryAfter(String value) {
            try {
                return Optional.of(Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim()))));
            } catch (NumberFormatException notSeconds) {
                try {
                    ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                    Duration wait = Duration.between(clock.instant(), at.toInstant());
                    return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
                } catch (DateTimeParseException notDate) {
                    return Optional.empty();
                }
            }
        }

        /**
         * The JSON-RPC error in the body, when there is one; for a refused protocol revision, with the
         * revisions of both sides.
         */
        private Optional<String> errorText() {
            String text = body.toString(StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                return Optional.empty();
            }
            Map<?, ?> json;
            try {
                json = mapper.readValue(text, Map.class);
            } catch (IOException | RuntimeException notJson) {
                return Optional.of(text.length() > 300 ? text.substring(0, 300) + "..." : text);
            }
            if (!(json.get("error") instanceof Map<?, ?> error)) {
                return Optional.of(text.length() > 300 ? text.substring(0, 300) + "..." : text);
            }
            String message = String.valueOf(error.get("message"));
            if (error.get("data") instanceof Map<?, ?> data && data.get("supported") instanceof List<?> supported) {
                message += "; the server speaks MCP "
                        + String.join(
                                ", ", supported.stream().map(String::valueOf).toList())
                        + ", this client speaks MCP " + String.join(", ", revisions)
                        + " (the revisions of the MCP Java SDK it is built on)";
            }
            return Optional.of(message);
        }
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return delegate.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }

    /**
     * The builder the SDK's transport is given: it configures the JDK's builder and wraps what that
     * builds.
     */
    static final class Builder implements HttpClient.Builder {
        private final HttpClient.Builder delegate = HttpClient.newBuilder().version(Version.HTTP_1_1);
        private final String server;
        private final McpJsonMapper mapper;
        private final List<String> revisions;
        private final UnaryOperator<String> redactor;

        Builder(String server, McpJsonMapper mapper, List<String> revisions, UnaryOperator<String> redactor) {
            this.server = server;
            this.mapper = mapper;
            this.revisions = revisions;
            this.redactor = redactor;
        }

        @Override
        public Builder cookieHandler(CookieHandler cookieHandler) {
            delegate.cookieHandler(cookieHandler);
            return this;
        }

        @Override
        public Builder connectTimeout(Duration duration) {
            delegate.connectTimeout(duration);
            return this;
        }

        @Override
        public Builder sslContext(SSLContext sslContext) {
            delegate.sslContext(sslContext);
            return this;
        }

        @Override
        public Builder sslParameters(SSLParameters sslParameters) {
            delegate.sslParameters(sslParameters);
            return this;
        }

        @Override
        public Builder executor(Executor executor) {
            delegate.executor(executor);
            return this;
        }

        @Override
        public Builder followRedirects(Redirect policy) {
            delegate.followRedirects(policy);
            return this;
        }

        @Override
        public Builder version(Version version) {
            delegate.version(version);
            return this;
        }

        @Override
        public Builder priority(int priority) {
            delegate.priority(priority);
            return this;
        }

        @Override
        public Builder proxy(ProxySelector proxySelector) {
            delegate.proxy(proxySelector);
            return this;
        }

        @Override
        public Builder authenticator(Authenticator authenticator) {
            delegate.authenticator(authenticator);
            return this;
        }

        @Override
        public HttpClient build() {
            return new CheckedHttpClient(delegate.build(), server, mapper, revisions, redactor, Clock.systemUTC());
        }
    }
}
