package dev.mcpplan.orchestrator.http;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import dev.mcpplan.orchestrator.spi.TransportProvider;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.ProtocolVersions;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code http} transport provider: MCP servers reached by Streamable HTTP at their {@code url}, on
 * the MCP Java SDK's {@link HttpClientStreamableHttpTransport} and the JDK's HTTP client. The configured
 * {@code headers} (with {@code ${VAR}} already expanded, and masked in every log and message) go with
 * every request; {@code https} is verified as the JDK verifies it; plain {@code http} to an address that
 * is not loopback is warned about, since headers and arguments cross the network in clear.
 *
 * <p>Each request has the context's time-out and is cancelled when it runs out; a request that never
 * left (connection refused, unknown host) fails as not sent, so that it may be retried; statuses 401,
 * 403, 429 (with {@code Retry-After}) and 5xx are told apart by {@link HttpStatusClassifier}; a session
 * the server forgot is opened again. The SDK speaks MCP 2025-11-25 and earlier revisions; a server
 * that refuses them fails with a message that names the revisions of both sides.
 *
 * <p>Thread-safe.
 */
public final class HttpTransportProvider implements TransportProvider {
    /** The provider; {@link java.util.ServiceLoader} makes one. */
    public HttpTransportProvider() {
        // stateless
    }

    private static final Logger LOG = LoggerFactory.getLogger(HttpTransportProvider.class);
    /** The MCP revisions the SDK's client speaks, oldest first. */
    private static final List<String> REVISIONS = List.of(
            ProtocolVersions.MCP_2024_11_05,
            ProtocolVersions.MCP_2025_03_26,
            ProtocolVersions.MCP_2025_06_18,
            ProtocolVersions.MCP_2025_11_25);

    @Override
    public String type() {
        return ServerDefinition.HTTP;
    }

    /** The classifier of HTTP statuses, which the orchestrator asks whenever it has this transport. */
    @Override
    public List<ErrorClassifier> errorClassifiers() {
        return List.of(new HttpStatusClassifier());
    }

    @Override
    public McpClientTransport create(ServerDefinition server, TransportContext context) {
        String url = server.url().orElseThrow(() -> refused(server, "has no url"));
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw refused(server, "has a url that is not a URI: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw refused(server, "needs an http:// or https:// url with a host, not '" + url + "'");
        }
        if (scheme.equals("http") && !loopback(uri.getHost())) {
            LOG.warn(
                    "server '{}' is reached by plain http at {}: its headers and every call cross the network"
                            + " unencrypted; use https",
                    server.name(),
                    uri.getHost());
        }
        Map<String, String> headers = server.headers();
        HttpRequest.Builder trial = HttpRequest.newBuilder(); // a header the JDK refuses is refused here, by name
        for (Map.Entry<String, String> header : headers.entrySet()) {
            try {
                trial.header(header.getKey(), header.getValue());
            } catch (IllegalArgumentException e) {
                throw refused(server, "has a header the JDK's HTTP client does not send: '" + header.getKey() + "'");
            }
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String endpoint = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        String base = scheme + "://" + uri.getRawAuthority();
        McpClientTransport sdk = HttpClientStreamableHttpTransport.builder(base)
                .endpoint(endpoint)
                .jsonMapper(context.jsonMapper())
                .clientBuilder(new CheckedHttpClient.Builder(
                        server.name(), context.jsonMapper(), REVISIONS, context.redactor()))
                .supportedProtocolVersions(REVISIONS)
                .addHttpRequestCustomizer((request, method, to, body, ignored) -> headers.forEach(request::header))
                .connectTimeout(context.requestTimeout())
                .build();
        return new HttpClientTransport(sdk, server.name(), context);
    }

    private static boolean loopback(String host) {
        try {
            return host.equalsIgnoreCase("localhost")
                    || InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static ConfigurationException refused(ServerDefinition server, String problem) {
        return new ConfigurationException(server.origin() + ": server '" + server.name() + "' " + problem);
    }
}
