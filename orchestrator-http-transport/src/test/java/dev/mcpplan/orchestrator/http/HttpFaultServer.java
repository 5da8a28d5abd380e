package dev.mcpplan.orchestrator.http;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real MCP server over Streamable HTTP for tests: the SDK's servlet transport in an embedded Tomcat on
 * 127.0.0.1, behind a filter that misbehaves on request. Tools: {@code echo} (read-only), {@code send}
 * (not idempotent: records every call, duplicates included), {@code slow} (sleeps {@code ms}, read-only;
 * the most that ran at once is kept),
 * {@code hang} (never answers). Faults, each for the next {@code tools/call} requests: an HTTP status with
 * headers, a connection dropped in the middle of the response (after the call was recorded), and
 * forgetting every session it has seen. It can require an {@code Authorization} header.
 *
 * <p>Run as a program, it serves on a free port (the benchmark's HTTP server) and prints
 * {@code listening on PORT} when ready.
 *
 * <p>Thread-safe.
 */
public final class HttpFaultServer implements AutoCloseable {
    private static final String KEY_STORE_PASSWORD = "test-only";
    private static final McpJsonMapper MAPPER =
            new JacksonMcpJsonMapper(JsonMapper.builder().build());

    private final Tomcat tomcat;
    private final int port;
    private final String scheme;
    private final McpAsyncServer server;
    /** What reached the tools, in order: "tool:text", with "(dropped)" for a call whose answer was cut. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    /** The request ids the client cancelled. */
    private final List<String> cancelled = new CopyOnWriteArrayList<>();
    /** The {@code _meta} of every tool call. */
    private final List<Map<String, Object>> metas = new CopyOnWriteArrayList<>();

    private final Deque<Fault> faults = new ArrayDeque<>();
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final Set<String> forgotten = ConcurrentHashMap.newKeySet();
    private volatile int initializes;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();
    private volatile String requiredAuthorization;
    private volatile boolean closeConnections;
    private boolean closed;

    private HttpFaultServer(int port, Path baseDir, Path keyStore) throws LifecycleException {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(MAPPER)
                .mcpEndpoint("/mcp")
                .build();
        server = McpServer.async(transport)
                .serverInfo("http-fault-server", "1.0.0")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(
                        tool("echo", true, (args, meta) -> Mono.just(text("echo: " + args.get("text")))),
                        tool("send", false, (args, meta) -> {
                            calls.add("send:" + args.get("text"));
                            return Mono.just(text("sent " + args.get("text")));
                        }),
                        tool(
                                "slow",
                                true,
                                (args, meta) -> Mono.fromRunnable(() ->
                                                mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max))
                                        .then(Mono.delay(
                                                Duration.ofMillis(((Number) args.getOrDefault("ms", 100)).longValue())))
                                        .doFinally(signal -> inFlight.decrementAndGet())
                                        .map(ignored -> text("slept"))),
                        tool("hang", false, (args, meta) -> Mono.never()))
                .build();
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        Connector connector = new Connector();
        connector.setPort(port);
        connector.setProperty("address", "127.0.0.1");
        if (keyStore != null) {
            connector.setScheme("https");
            connector.setSecure(true);
            connector.setProperty("SSLEnabled", "true");
            SSLHostConfig tls = new SSLHostConfig();
            SSLHostConfigCertificate certificate = new SSLHostConfigCertificate(tls, SSLHostConfigCertificate.Type.RSA);
            certificate.setCertificateKeystoreFile(keyStore.toString());
            certificate.setCertificateKeystorePassword(KEY_STORE_PASSWORD);
            tls.addCertificate(certificate);
            connector.addSslHostConfig(tls);
        }
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);
        Wrapper servlet = Tomcat.addServlet(context, "mcp", transport);
        servlet.setAsyncSupported(true);
        servlet.addMapping("/*");
        FilterDef filter = new FilterDef();
        filter.setFilterName("faults");
        filter.setFilter(new Faults());
        filter.setAsyncSupported("true");
        context.addFilterDef(filter);
        FilterMap map = new FilterMap();
        map.setFilterName("faults");
        map.addURLPattern("/*");
        context.addFilterMap(map);
        tomcat.start();
        this.port = connector.getLocalPort();
        this.scheme = keyStore == null ? "http" : "https";
    }

    public static void main(String[] args) throws Exception {
        HttpFaultServer server = start(Files.createTempDirectory("http-fault-server"));
        System.out.println("listening on " + server.port());
        Thread.currentThread().join();
    }

    /** Starts a server on a free port. */
    static HttpFaultServer start(Path baseDir) throws IOException, LifecycleException {
        return start(0, baseDir);
    }

    /** Starts a server on the given port (0 for a free one). */
    static HttpFaultServer start(int port, Path baseDir) throws IOException, LifecycleException {
        Files.createDirectories(baseDir);
        return new HttpFaultServer(port, baseDir, null);
    }

    /**
     * Starts a server on a free port that speaks https, with a certificate of its own that no trust
     * store knows (made with the JDK's {@code keytool}).
     */
    static HttpFaultServer startSelfSigned(Path baseDir) throws IOException, InterruptedException, LifecycleException {
        Files.createDirectories(baseDir);
        Path keyStore = baseDir.resolve("self-signed.p12");
        Process keytool = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "server",
                        "-keyalg",
                        "RSA",
                        "-keysize",
                        "2048",
                        "-dname",
                        "CN=127.0.0.1",
                        "-ext",
                        "SAN=ip:127.0.0.1",
                        "-validity",
                        "2",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        keyStore.toString(),
                        "-storepass",
                        KEY_STORE_PASSWORD,
                        "-keypass",
                        KEY_STORE_PASSWORD)
                .redirectErrorStream(true)
                .start();
        String said = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (keytool.waitFor() != 0) {
            throw new IOException("keytool failed: " + said);
        }
        return new HttpFaultServer(0, baseDir, keyStore);
    }

    private interface Handler {
        Mono<McpSchema.CallToolResult> call(Map<String, Object> arguments, Map<String, Object> meta);
    }

    private AsyncToolSpecification tool(String name, boolean readOnly, Handler handler) {
        McpSchema.Tool tool = McpSchema.Tool.builder(name)
                .inputSchema(
                        MAPPER,
                        "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"},"
                                + "\"ms\":{\"type\":\"integer\"}}}")
                .annotations(new McpSchema.ToolAnnotations(name, readOnly, !readOnly, readOnly, false, false))
                .build();
        return AsyncToolSpecification.builder()
                .tool(tool)
                .callHandler((exchange, request) -> {
                    Map<String, Object> meta = request.meta() == null ? Map.of() : request.meta();
                    metas.add(meta);
                    return handler.call(request.arguments() == null ? Map.of() : request.arguments(), meta);
                })
                .build();
    }

    private static McpSchema.CallToolResult text(String text) {
        return McpSchema.CallToolResult.builder().addTextContent(text).build();
    }

    String url() {
        return scheme + "://127.0.0.1:" + port + "/mcp";
    }

    int port() {
        return port;
    }

    List<String> calls() {
        return List.copyOf(calls);
    }

    List<String> cancelled() {
        return List.copyOf(cancelled);
    }

    List<Map<String, Object>> metas() {
        return List.copyOf(metas);
    }

    /** The most {@code slow} calls that ran at once. */
    int mostSlowCallsAtOnce() {
        return mostInFlight.get();
    }

    /** How many {@code initialize} requests reached the server. */
    int initializes() {
        return initializes;
    }

    /** The next {@code times} tool calls are answered with this status and headers. */
    synchronized void answerCalls(int status, int times, Map<String, String> headers) {
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(status, headers));
        }
    }

    /** The next tool call is recorded, then its connection is dropped in the middle of the answer. */
    synchronized void dropNextCall() {
        faults.add(new Fault(0, Map.of()));
    }

    /** Every session seen so far is forgotten: a request in one is answered 404, as after a restart. */
    void forgetSessions() {
        forgotten.addAll(sessions);
    }

    /**
     * Every answer closes its connection ({@code Connection: close}), so that the client keeps none
     * open to reuse: once the server is gone, a request finds no connection, rather than one the
     * server closed a moment before (which may have taken the request, as far as the client can tell).
     */
    void closeConnectionsAfterEachAnswer() {
        closeConnections = true;
    }

    /** Requests without this {@code Authorization} header are answered 401. */
    void requireAuthorization(String value) {
        requiredAuthorization = value;
    }

    private synchronized Fault nextFault() {
        return faults.poll();
    }

    @Override
    public synchronized void close() throws LifecycleException {
        if (closed) {
            return;
        }
        closed = true;
        server.closeGracefully().block(Duration.ofSeconds(5));
        tomcat.stop();
        tomcat.destroy();
    }

    private record Fault(int status, Map<String, String> headers) {}

    /** The misbehaviour in front of the SDK's servlet. */
    private final class Faults implements Filter {
        @Override
        public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
                throws IOException, ServletException {
            HttpServletRequest request = (HttpServletRequest) req;
            HttpServletResponse response = (HttpServletResponse) res;
            if (closeConnections && "POST".equals(request.getMethod())) {
                response.setHeader("Connection", "close");
            }
            String session = request.getHeader("Mcp-Session-Id");
            if (session != null) {
                if (forgotten.contains(session)) {
                    json(
                            response,
                            404,
                            "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Session not found\"}}");
                    return;
                }
                sessions.add(session);
            }
            String required = requiredAuthorization;
            if (required != null && !required.equals(request.getHeader("Authorization"))) {
                response.setHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
                json(response, 401, "{\"error\":\"invalid_token\"}");
                return;
            }
            if (!"POST".equals(request.getMethod())) {
                chain.doFilter(req, res);
                return;
            }
            byte[] body = request.getInputStream().readAllBytes();
            Map<?, ?> message = MAPPER.readValue(new String(body, StandardCharsets.UTF_8), Map.class);
            Object method = message.get("method");
            if ("initialize".equals(method)) {
                initializes++;
            } else if ("notifications/cancelled".equals(method) && message.get("params") instanceof Map<?, ?> p) {
                cancelled.add(String.valueOf(p.get("requestId")));
            } else if ("tools/call".equals(method)) {
                Fault fault = nextFault();
                if (fault != null && fault.status == 0) {
                    Map<?, ?> params = (Map<?, ?>) message.get("params");
                    Map<?, ?> arguments = (Map<?, ?>) params.get("arguments");
                    calls.add(params.get("name") + ":" + (arguments == null ? null : arguments.get("text"))
                            + " (dropped)");
                    response.setStatus(200);
                    response.setContentType("application/json");
                    response.setContentLength(1000);
                    response.getOutputStream().write("{\"jsonrpc\":\"2.0\",".getBytes(StandardCharsets.UTF_8));
                    response.flushBuffer();
                    // a failure after the answer began: the container can only cut the connection
                    throw new IOException("connection dropped on purpose in the middle of the answer");
                }
                if (fault != null) {
                    fault.headers.forEach(response::setHeader);
                    json(response, fault.status, "{\"error\":\"injected " + fault.status + "\"}");
                    return;
                }
            }
            chain.doFilter(new Replayed(request, body), res);
        }

        private void json(HttpServletResponse response, int status, String body) throws IOException {
            response.setStatus(status);
            response.setContentType("application/json");
            response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A request whose body was read by the filter, readable again by the servlet. */
    private static final class Replayed extends HttpServletRequestWrapper {
        private final byte[] body;

        Replayed(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("blocking reads only");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
