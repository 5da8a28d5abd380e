package dev.mcpplan.orchestrator.core.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerDefinition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path file(String name, String json) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, json);
        return f;
    }

    @Test
    void readsClaudeDesktopServersAsIsWithVariablesExpanded() throws IOException {
        Path f = file("mcp.json", """
                { "mcpServers": {
                    "email-server":  { "command": "java", "args": ["-jar", "email-server.jar"], "env": {"SMTP_HOST": "${SMTP_HOST}"} },
                    "vault-watcher": { "command": "npx", "args": ["@modelcontextprotocol/server-filesystem", "./vault"] },
                    "crm":           { "type": "http", "url": "https://crm.example.com/mcp", "headers": {"Authorization": "Bearer ${CRM_TOKEN}"} } } }
                """);
        Configuration config = new ConfigLoader(Map.of("SMTP_HOST", "smtp.local", "CRM_TOKEN", "s3cret"))
                .load(f)
                .build();

        assertThat(config.servers()).containsOnlyKeys("email-server", "vault-watcher", "crm");
        ServerDefinition email = config.servers().get("email-server");
        assertThat(email.type()).isEqualTo("stdio");
        assertThat(email.command()).contains("java");
        assertThat(email.args()).containsExactly("-jar", "email-server.jar");
        assertThat(email.env()).containsEntry("SMTP_HOST", "smtp.local");
        ServerDefinition crm = config.servers().get("crm");
        assertThat(crm.type()).isEqualTo("http");
        assertThat(crm.url()).contains("https://crm.example.com/mcp");
        assertThat(crm.headers()).containsEntry("Authorization", "Bearer s3cret");
        assertThat(crm.toString()).doesNotContain("s3cret");
        assertThat(config.settings()).isEqualTo(Settings.defaults());
    }

    @Test
    void anUnsetVariableIsAClearErrorNamingFileServerAndVariable() throws IOException {
        Path f = file("mcp.json", """
                { "mcpServers": { "email-server": { "command": "java", "env": {"SMTP_PASSWORD": "${SMTP_PASSWORD}"} } } }
                """);
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(f + ": server 'email-server' env SMTP_PASSWORD uses ${SMTP_PASSWORD}, but the environment"
                        + " variable SMTP_PASSWORD is not set");
    }

    @Test
    void aDefaultAppliesWhenTheVariableIsUnset() throws IOException {
        Path f = file("mcp.json", """
                { "mcpServers": { "s": { "command": "${JAVA:-java}" } } }
                """);
        assertThat(new ConfigLoader(Map.of()).load(f).build().servers().get("s").command())
                .contains("java");
    }

    @Test
    void brokenJsonNamesTheFileAndLine() throws IOException {
        Path f = file("mcp.json", "{\n \"mcpServers\": {\n  \"a\": { \"command\": }\n }\n}");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(f + ": not valid JSON: ")
                .hasMessageContaining("(line 3)");
    }

    @Test
    void aStdioServerWithoutCommandIsAnError() throws IOException {
        Path f = file("mcp.json", "{ \"mcpServers\": { \"a\": { \"args\": [\"x\"] } } }");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage(f + ": server 'a' of type stdio needs a command");
    }

    @Test
    void settingsRenameToolsAndParametersAndOverrideDefaults() throws IOException {
        Path f = file("mcp.json", """
                { "mcpServers": { "fs": { "command": "npx", "args": ["@modelcontextprotocol/server-filesystem", "/v"] } },
                  "orchestrator": {
                    "actions": {
                      "write_vault": { "server": "fs", "tool": "write_file", "parameters": {"text": "content"}, "idempotent": true },
                      "send_invoice": "billing",
                      "send_bulk": { "server": ["mail", "fs"] }
                    },
                    "phrases": { "Send Invoice": "send_invoice" },
                    "timeout": "5s", "retries": 1, "backoff": "250ms",
                    "servers": { "fs": { "timeout": "1500ms", "rateLimit": "10/1h", "maxConcurrent": 2 }, "mail": { "instances": 3 } },
                    "redactKeys": ["iban"], "redactPatterns": ["ACME-[0-9]{6}"],
                    "circuitBreaker": { "failures": 2, "delay": "5s" },
                    "approval": { "signingKey": "${KEY}", "maxAge": "7d", "requireApproverFor": ["High"] }
                  } }
                """);
        Configuration config = new ConfigLoader(Map.of("KEY", "a-signing-key-of-at-least-32-bytes-long"))
                .load(f)
                .build();
        Settings s = config.settings();
        assertThat(s.actions().get("write_vault"))
                .isEqualTo(Route.to("fs", "write_file")
                        .withParameterNames(Map.of("text", "content"))
                        .withIdempotent(true));
        assertThat(s.actions().get("send_invoice")).isEqualTo(Route.to("billing", "send_invoice"));
        assertThat(s.actions()).doesNotContainKey("send_email");
        assertThat(s.defaultActions().get("send_email")).isEqualTo(Route.to("email-server", "send_email"));
        assertThat(s.phrases()).containsOnlyKeys("send invoice");
        assertThat(s.defaultPhrases()).isEqualTo(Settings.seedPhrases());
        assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.retries()).isEqualTo(1);
        assertThat(s.backoff()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.serverTimeouts()).containsEntry("fs", Duration.ofMillis(1500));
        assertThat(config.servers().get("fs").requestTimeout()).contains(Duration.ofMillis(1500));
        assertThat(s.redactKeys()).isEqualTo(List.of("iban"));
        assertThat(s.redactPatterns())
                .extracting(java.util.regex.Pattern::pattern)
                .containsExactly("ACME-[0-9]{6}");
        assertThat(s.limitsFor("fs")).isEqualTo(new ServerLimits(10, Duration.ofHours(1), 2, 1));
        assertThat(s.limitsFor("other")).isEqualTo(ServerLimits.NONE);
        assertThat(s.limitsFor("mail")).isEqualTo(new ServerLimits(null, null, 0, 3));
        assertThat(s.actions().get("send_bulk")).isEqualTo(Route.toAny(List.of("mail", "fs"), "send_bulk"));
        assertThat(s.circuitFailures()).isEqualTo(2);
        assertThat(s.circuitDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.approval().maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(s.approval().approverRequired(java.util.Optional.of("high"))).isTrue();
        assertThat(s.approval().key())
                .hasValueSatisfying(k -> assertThat(new String(k, java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo("a-signing-key-of-at-least-32-bytes-long"));
        assertThat(s.approval().toString()).doesNotContain("a-signing-key");
    }

    /** Every documented setting at 0, 1 and a very large value: accepted, or refused naming file, key and problem. */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
            "timeout": "0s"                                  | timeout must be positive, not PT0S
            "timeout": "1ms"                                 |
            "timeout": "365d"                                |
            "timeout": "366d"                                | timeout must be at most 365d, not PT8784H
            "timeout": "99999999999999999999d"               | timeout must be at most 365d
            "startTimeout": "0"                              | startTimeout must be positive
            "startTimeout": "1ms"                            |
            "healthInterval": "0ms"                          | healthInterval must be positive
            "healthInterval": "1ms"                          |
            "healthInterval": "1000000d"                     | healthInterval must be at most 365d
            "retries": 0                                     |
            "retries": 1                                     |
            "retries": 100                                   |
            "retries": 101                                   | retries must be a whole number from 0 to 100, not 101
            "retries": 99999999999                           | retries must be a whole number from 0 to 100, not 99999999999
            "retries": -1                                    | retries must be a whole number from 0 to 100, not -1
            "retries": 1.5                                   | retries must be a whole number from 0 to 100, not 1.5
            "backoff": "0s"                                  | backoff must be positive
            "backoff": "1ms"                                 |
            "backoff": "365d"                                |
            "circuitBreaker": { "failures": 0 }              | circuitBreaker.failures must be a whole number from 1 to 2147483647, not 0
            "circuitBreaker": { "failures": 1 }              |
            "circuitBreaker": { "failures": 2147483647 }     |
            "circuitBreaker": { "failures": 2147483648 }     | circuitBreaker.failures must be a whole number from 1 to 2147483647
            "circuitBreaker": { "delay": "0s" }              | circuitBreaker.delay must be positive
            "circuitBreaker": { "delay": "1ms" }             |
            "servers": { "s": { "rateLimit": "0/1h" } }      | servers.s.rateLimit: a rate limit must allow at least 1 call
            "servers": { "s": { "rateLimit": "1/1ms" } }     |
            "servers": { "s": { "rateLimit": "999999999/1d" } } |
            "servers": { "s": { "rateLimit": "9999999999/1d" } } | servers.s.rateLimit: '9999999999/1d' is not a rate limit
            "servers": { "s": { "rateLimit": "1/0s" } }      | servers.s.rateLimit period must be positive
            "servers": { "s": { "maxConcurrent": 0 } }       | servers.s.maxConcurrent must be a whole number from 1 to 2147483647, not 0
            "servers": { "s": { "maxConcurrent": 1 } }       |
            "servers": { "s": { "maxConcurrent": 2147483647 } } |
            "servers": { "s": { "timeout": "0s" } }          | servers.s.timeout must be positive
            "servers": { "s": { "instances": 0 } }           | servers.s.instances must be a whole number from 1 to 64, not 0
            "servers": { "s": { "instances": 1 } }           |
            "servers": { "s": { "instances": 64 } }          |
            "servers": { "s": { "instances": 65 } }          | servers.s.instances must be a whole number from 1 to 64, not 65
            "actions": { "a": { "server": [] } }             | action 'a' server: the list names no server
            "actions": { "a": { "server": ["x", "x"] } }     | action 'a' server: the list names a server twice
            "actions": { "a": { "server": ["x", 1] } }       | action 'a' server
            "approval": { "maxAge": "0s" }                   | approval maxAge must be positive
            "approval": { "maxAge": "1ms" }                  |
            "maxReschedules": 0                              |
            "maxReschedules": -1                             | maxReschedules must be a whole number from 0 to 2147483647, not -1
            "rescheduleFor": "1ms"                           |
            "rescheduleFor": "0s"                            | rescheduleFor must be positive
            """)
    void everySettingAtItsEdgeValuesIsAcceptedOrRefusedNamingFileKeyAndProblem(String setting, String problem)
            throws IOException {
        Path f = file("edge.json", "{ \"orchestrator\": { " + setting + " } }");
        if (problem == null) {
            assertThat(new ConfigLoader(Map.of()).load(f).build().settings()).isNotNull();
        } else {
            assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageStartingWith(f + ": ")
                    .hasMessageContaining(problem);
        }
    }

    @Test
    void aRelativeCwdIsResolvedAgainstTheConfigFilesFolderNotTheWorkingDirectory() throws IOException {
        Files.createDirectories(dir.resolve("servers"));
        Path f = file("mcp.json", """
                { "mcpServers": { "a": { "command": "./run.sh", "cwd": "servers" }, "b": { "command": "x" } } }
                """);
        Configuration config = new ConfigLoader(Map.of()).load(f).build();
        assertThat(config.servers().get("a").workingDirectory())
                .contains(dir.resolve("servers").toAbsolutePath());
        assertThat(config.servers().get("b").workingDirectory()).isEmpty();
    }

    @Test
    void settingsMayLiveInAFileOfTheirOwn() throws IOException {
        Path servers = file("mcp.json", "{ \"mcpServers\": { \"a\": { \"command\": \"x\" } } }");
        Path settings = file("settings.json", "{ \"timeout\": \"2m\", \"replaceDefaultActions\": true }");
        Configuration config =
                new ConfigLoader(Map.of()).load(servers).load(settings).build();
        assertThat(config.settings().requestTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.settings().actions()).isEmpty();
        assertThat(config.settings().defaultActions()).isEmpty();
    }

    @Test
    void anUnknownSettingsKeyIsAnErrorListingTheKnownOnes() throws IOException {
        Path f = file("settings.json", "{ \"orchestrator\": { \"timout\": \"5s\" } }");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith(f + ": orchestrator settings have an unknown key 'timout' (known: [");
    }

    @Test
    void aBadDurationNamesTheText() throws IOException {
        Path f = file("settings.json", "{ \"timeout\": \"soon\" }");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("'soon' is not a duration");
    }

    @Test
    void maxCallTimeAndInheritEnvHaveTheirDefaultsAndCanBeSetGloballyAndPerServer() throws IOException {
        Settings defaults = new ConfigLoader(Map.of()).build().settings();
        assertThat(defaults.maxCallTimeFor(Duration.ofSeconds(30))).isEqualTo(Duration.ofMinutes(5));
        assertThat(defaults.inheritEnvFor("any"))
                .contains("PATH", "HOME", "LANG")
                .doesNotContain("HTTPS_PROXY");

        Settings settings = new ConfigLoader(Map.of())
                .load(file("settings.json", """
                        { "maxCallTime": "10m",
                          "inheritEnv": ["PATH", "HOME", "HTTPS_PROXY", "NO_PROXY", "npm_config_*"],
                          "servers": { "local": { "inheritEnv": ["PATH"] } } }
                        """))
                .build()
                .settings();

        assertThat(settings.maxCallTimeFor(Duration.ofSeconds(1))).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.inheritEnvFor("npx-server"))
                .containsExactly("PATH", "HOME", "HTTPS_PROXY", "NO_PROXY", "npm_config_*");
        assertThat(settings.inheritEnvFor("local")).containsExactly("PATH");
    }

    @Test
    void anInheritEnvEntryThatIsNoVariableNameIsRefusedNamingIt() throws IOException {
        Path f = file("settings.json", """
                { "inheritEnv": ["PATH", "HTTPS PROXY"] }
                """);

        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(f))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("inheritEnv: 'HTTPS PROXY' is not an environment variable name");
    }
}
