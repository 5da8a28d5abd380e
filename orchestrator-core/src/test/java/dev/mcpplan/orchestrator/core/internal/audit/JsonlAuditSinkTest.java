package dev.mcpplan.orchestrator.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.AuditLog;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class JsonlAuditSinkTest {
    private static final Instant DAY = Instant.parse("2026-03-02T10:15:30Z");
    private static final String ZEROS = "0".repeat(64);

    @TempDir
    Path logs;

    private Path file() {
        return logs.resolve("2026-03-02.jsonl");
    }

    /** A tool call of one plan; step 0 is the plan's start, which must come before its first call. */
    static AuditRecord call(int step, Map<String, Object> parameters) {
        return new AuditRecord(
                DAY.plusSeconds(step),
                step == 0 ? "plan_started" : "tool_call",
                "20260216-141530",
                "task-1",
                step,
                "send",
                "mail",
                "send_email",
                parameters,
                "failed",
                ErrorKind.TOOL_ERROR,
                "refused for jane@example.com",
                12,
                1,
                "ops@example.com",
                null);
    }

    @Test
    void everyLineEndsWithPrevHashAndTheHashOfPrevHashAndTheLineWithoutItsHash() throws IOException {
        JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults());
        for (int step = 0; step < 3; step++) {
            sink.record(call(step, Map.of("to", "x", "password", "hunter2")));
        }
        List<String> lines = Files.readAllLines(file(), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(3);
        String prev = ZEROS;
        for (String line : lines) {
            JsonNode node = JsonMapper.shared().readTree(line);
            assertThat(node.propertyNames())
                    .containsExactly(
                            "timestamp",
                            "action_type",
                            "actor",
                            "target",
                            "parameters",
                            "approval_status",
                            "approved_by",
                            "result",
                            "event",
                            "plan_id",
                            "task_id",
                            "step",
                            "server",
                            "tool",
                            "error_kind",
                            "message",
                            "response",
                            "duration_ms",
                            "attempt",
                            "prev_hash",
                            "hash");
            assertThat(node.path("prev_hash").asString()).isEqualTo(prev);
            String hash = node.path("hash").asString();
            assertThat(line).endsWith(",\"prev_hash\":\"" + prev + "\",\"hash\":\"" + hash + "\"}");
            String withoutHash = line.substring(0, line.length() - ",\"hash\":\"\"}".length() - 64) + "}";
            assertThat(hash).isEqualTo(sha256(prev + withoutHash));
            assertThat(node.path("parameters").path("password").asString()).isEqualTo("***");
            assertThat(node.path("message").asString()).isEqualTo("refused for j***@***.com");
            assertThat(node.path("approved_by").asString()).isEqualTo("o***@***.com");
            prev = hash;
        }
        assertThat(AuditLog.verify(file())).isEqualTo(new AuditLog.Verification(true, 3, Optional.empty()));
    }

    @Test
    void twoSinksAppendingInTurnToOneFileMakeOneChain() {
        JsonlAuditSink first = new JsonlAuditSink(logs, Redactor.defaults());
        JsonlAuditSink second = new JsonlAuditSink(logs, Redactor.defaults());
        for (int step = 0; step < 10; step++) {
            (step % 2 == 0 ? second : first).record(call(step, Map.of()));
        }
        assertThat(AuditLog.verify(file())).isEqualTo(new AuditLog.Verification(true, 10, Optional.empty()));
    }

    @Test
    void sinksOnSeveralThreadsMakeOneChain() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults());
                done.add(threads.submit(() -> {
                    for (int step = 0; step < 25; step++) {
                        sink.record(call(step, Map.of()));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(AuditLog.verify(file())).isEqualTo(new AuditLog.Verification(true, 100, Optional.empty()));
    }

    @Test
    void processesAppendingAtTheSameTimeMakeOneChain() throws Exception {
        List<Process> processes = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            processes.add(new ProcessBuilder(
                            Servers.java(),
                            "-cp",
                            System.getProperty("java.class.path"),
                            Appender.class.getName(),
                            logs.toString(),
                            "40")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start());
        }
        for (Process process : processes) {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        }
        assertThat(AuditLog.verify(file())).isEqualTo(new AuditLog.Verification(true, 120, Optional.empty()));
    }

    @Test
    void aLastLineLongerThanOneReadIsFoundFromTheEnd() {
        JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults());
        sink.record(call(0, Map.of()));
        sink.record(call(2, Map.of("body", "long text ".repeat(5000))));
        sink.record(call(3, Map.of()));
        sink.record(call(4, Map.of("body", "x".repeat(8192 - 400))));
        sink.record(call(5, Map.of()));
        assertThat(AuditLog.verify(file())).isEqualTo(new AuditLog.Verification(true, 5, Optional.empty()));
    }

    @Test
    void aLineCutShortByACrashIsEndedAndTheNextLineChainsFromItsBytes() throws IOException {
        JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults());
        sink.record(call(0, Map.of()));
        String fragment = "{\"timestamp\":\"2026-03-02T10:15:32Z\",\"action_";
        Files.writeString(file(), fragment, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        sink.record(call(3, Map.of()));

        List<String> lines = Files.readAllLines(file(), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).isEqualTo(fragment);
        assertThat(JsonMapper.shared().readTree(lines.get(2)).path("prev_hash").asString())
                .isEqualTo(sha256(fragment));
        assertThat(AuditLog.verify(file()).problem()).contains("line 2: not JSON");
    }

    @Test
    void aLogWrittenBeforeTheChainIsContinuedFromItsLastLine() throws IOException {
        String legacy = "{\"timestamp\":\"2026-03-02T09:00:00Z\",\"action_type\":\"plan_started\"}";
        Files.writeString(file(), legacy + "\n", StandardCharsets.UTF_8);
        new JsonlAuditSink(logs, Redactor.defaults()).record(call(1, Map.of()));

        List<String> lines = Files.readAllLines(file(), StandardCharsets.UTF_8);
        assertThat(JsonMapper.shared().readTree(lines.get(1)).path("prev_hash").asString())
                .isEqualTo(sha256(legacy));
        assertThat(AuditLog.verify(file()).problem()).contains("line 1: no hash");
    }

    static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** A separate process that appends records. Arguments: the logs folder, how many records. */
    public static final class Appender {
        private Appender() {}

        public static void main(String[] args) {
            JsonlAuditSink sink = new JsonlAuditSink(Path.of(args[0]), Redactor.defaults());
            for (int step = 0; step < Integer.parseInt(args[1]); step++) {
                sink.record(call(step, Map.of("pid", ProcessHandle.current().pid())));
            }
        }
    }
}
