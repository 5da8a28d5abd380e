package dev.mcpplan.orchestrator.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import dev.mcpplan.orchestrator.spi.TransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** What the provider refuses or warns about before it connects anywhere. */
class HttpTransportProviderTest {
    private static final TransportContext CONTEXT = new TransportContext() {
        private final McpJsonMapper mapper =
                new JacksonMcpJsonMapper(JsonMapper.builder().build());

        @Override
        public McpJsonMapper jsonMapper() {
            return mapper;
        }

        @Override
        public Duration requestTimeout() {
            return Duration.ofSeconds(5);
        }
    };

    private static ServerDefinition server(String url, Map<String, String> headers) {
        return ServerDefinition.builder("crm", ServerDefinition.HTTP)
                .url(url)
                .headers(headers)
                .origin("mcp.json")
                .build();
    }

    private static String stderrOf(Runnable action) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(stderr);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainHttpToAnAddressThatIsNotLoopbackIsWarnedAboutAndLoopbackIsNot() {
        HttpTransportProvider provider = new HttpTransportProvider();

        String remote = stderrOf(() -> provider.create(server("http://192.0.2.7/mcp", Map.of()), CONTEXT));
        String local = stderrOf(() -> provider.create(server("http://127.0.0.1:9/mcp", Map.of()), CONTEXT));
        String tls = stderrOf(() -> provider.create(server("https://192.0.2.7/mcp", Map.of()), CONTEXT));

        assertThat(remote).contains("server 'crm'").contains("plain http").contains("unencrypted");
        assertThat(local).doesNotContain("plain http");
        assertThat(tls).doesNotContain("plain http");
    }

    @Test
    void aUrlThatIsNotHttpIsRefusedNamingTheFileAndTheServer() {
        assertThatThrownBy(() -> new HttpTransportProvider().create(server("ftp://example.com/mcp", Map.of()), CONTEXT))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("mcp.json")
                .hasMessageContaining("server 'crm'")
                .hasMessageContaining("http:// or https://");
    }

    @Test
    void aHeaderTheJdkDoesNotSendIsRefusedByNameWithoutItsValue() {
        assertThatThrownBy(() -> new HttpTransportProvider()
                        .create(server("https://example.com/mcp", Map.of("Host", "secret-host-value")), CONTEXT))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'Host'")
                .hasMessageNotContaining("secret-host-value");
    }
}
