package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.core.PlanApprover;
import dev.mcpplan.orchestrator.core.internal.audit.JsonlAuditSink;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.core.testing.ForgedLines;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The host's commands and secrets: a tool result holding one is printed masked; a keyed audit log cannot be
 * extended or rewritten by someone without the key, nor checked without it; {@code verify-log} names a line
 * that a run cannot have written in that order.
 */
class SecretsInCommandsTest {
    private static final String KEY = "an audit and approval key of 32+ bytes";
    private static final String TOKEN = "ghp_R2d2C3poLuke7Leia9Han5Solo1Chewie0Ben";

    @TempDir
    Path dir;

    /** A configuration with the fault server, and the signing key when {@code signed}. */
    private Path config(boolean signed) {
        Map<String, Object> settings = new HashMap<>(Map.of("actions", Map.of("echo", "fault")));
        if (signed) {
            settings.put("approval", Map.of("signingKey", KEY));
        }
        return Servers.config(dir.resolve("mcp.json"), Map.of("fault", Servers.faultServerEntry(Map.of())), settings);
    }

    /** An echo plan, approved and, when {@code signed}, signed with the key. */
    private Path plan(String text, boolean signed) throws IOException {
        Path plan = dir.resolve("echo.md");
        Files.writeString(plan, """
                ---
                status: pending
                plan_id: echo-%s
                ---
                # Echo
                ## Steps
                - [ ] Echo it
                  - action: echo
                  - text: %s
                """.formatted(UUID.randomUUID(), text)); // a plan id of its own: one plan id runs once
        PlanApprover.approve(
                plan,
                "boss@company.com",
                Duration.ofHours(1),
                null,
                signed ? KEY.getBytes(StandardCharsets.UTF_8) : null,
                Clock.systemUTC());
        return plan;
    }

    @Test
    void executePrintsAToolResultHoldingASecretMasked() throws IOException {
        Cli.Run run = Cli.run(
                "execute",
                plan("the token is " + TOKEN, false).toString(),
                "--config",
                config(false).toString());
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("step 1: succeeded", "the token is ***");
        assertThat(run.all()).doesNotContain(TOKEN);
    }

    /** Runs a signed plan with the audit log on, and returns the log file: plan_started, tool_call, plan_finished. */
    private Path keyedLog() throws IOException {
        Path logs = dir.resolve("Logs");
        Cli.Run run = Cli.run(
                "execute",
                plan("hello", true).toString(),
                "--config",
                config(true).toString(),
                "--audit-log",
                logs.toString());
        assertThat(run.exit()).isZero();
        try (Stream<Path> files = Files.list(logs)) {
            Path log = files.filter(p -> p.toString().endsWith(".jsonl"))
                    .findFirst()
                    .orElseThrow();
            assertThat(Files.readAllLines(log)).hasSize(3);
            return log;
        }
    }

    /** {@code verify-log} in a process of its own, with the key in {@code $MCP_APPROVAL_KEY} (none if null). */
    private static Cli.Run verify(Path log, String key) {
        Map<String, String> env = new HashMap<>();
        env.put("MCP_APPROVAL_KEY", key);
        return Cli.process(env, "verify-log", log.toString());
    }

    private static void assertBroken(Path log, String key, String problem) {
        Cli.Run run = verify(log, key);
        assertThat(run.exit()).isOne();
        assertThat(run.out()).contains("BROKEN, " + problem);
    }

    @Test
    void aKeyedLogIsIntactWithItsKeyAndNeedsTheKeyToBeChecked() throws IOException {
        Path log = keyedLog();
        Cli.Run run = verify(log, KEY);
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("checked with the key", ": intact (3 lines)");
        assertBroken(log, null, "line 1: the chain is keyed (HMAC-SHA256): checking it needs the signing key");
    }

    @Test
    void aLineAppendedWithoutTheKeyIsFound() throws IOException {
        Path log = keyedLog();
        List<String> lines = new ArrayList<>(Files.readAllLines(log));
        lines.add(ForgedLines.forged(lines.get(1), ForgedLines.hashOf(lines.get(2)), false));
        Files.write(log, lines);
        assertBroken(log, KEY, "line 4: a plain hash where the signing key's HMAC-SHA256 belongs");
    }

    @Test
    void aLogRewrittenWithRecomputedPlainHashesIsFound() throws IOException {
        Path log = keyedLog();
        Files.write(
                log,
                ForgedLines.rewritten(
                        Files.readAllLines(log), l -> l.replace("\"text\":\"hello\"", "\"text\":\"goodbye\"")));
        assertThat(Cli.process(Map.of(), "verify-log", "--key-env", "NO_SUCH_VARIABLE", log.toString())
                        .out())
                .contains(": intact (3 lines)");
        assertBroken(log, KEY, "line 1: a plain hash where the signing key's HMAC-SHA256 belongs");
    }

    @Test
    void aWrongKeyFindsEveryLineUnsigned() throws IOException {
        assertBroken(
                keyedLog(),
                "some other key that is 32+ bytes long",
                "line 1: hash does not match its content under this key");
    }

    @Test
    void aToolCallAfterItsPlanFinishedIsNamedEvenWhenWrittenWithTheKey() throws IOException {
        Path log = keyedLog();
        String plan = JsonMapper.shared()
                .readTree(Files.readAllLines(log).get(0))
                .path("plan_id")
                .asString();
        new JsonlAuditSink(log.getParent(), Redactor.defaults(), KEY.getBytes(StandardCharsets.UTF_8))
                .record(new AuditRecord(
                        Instant.now(),
                        "tool_call",
                        plan,
                        null,
                        1,
                        "echo",
                        "fault",
                        "echo",
                        Map.of("text", "again"),
                        "success",
                        null,
                        null,
                        1,
                        1,
                        null,
                        null));
        assertBroken(
                log,
                KEY,
                "line 4: a tool_call of plan " + plan + " that is not running: it came after the plan's"
                        + " plan_finished, with no plan_started since");
    }
}
