package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.core.AuditLog.Verification;
import dev.mcpplan.orchestrator.core.internal.audit.JsonlAuditSink;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.core.testing.ForgedLines;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    private static final byte[] KEY = "the audit key, thirty-two bytes!".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path logs;

    private Path log;

    @BeforeEach
    void sixLines() {
        log = write("2026-03-02", 6);
    }

    /** A plan's run: its plan_started line, then tool calls. */
    private Path write(String day, int lines) {
        return write(day, lines, null);
    }

    private Path write(String day, int lines, byte[] key) {
        JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults(), key);
        for (int step = 1; step <= lines; step++) {
            sink.record(new AuditRecord(
                    Instant.parse(day + "T10:00:00Z").plusSeconds(step),
                    step == 1 ? "plan_started" : "tool_call",
                    "20260216-141530",
                    null,
                    step,
                    "send",
                    "mail",
                    "send_email",
                    Map.of("to", "team", "n", step),
                    "success",
                    null,
                    null,
                    5,
                    1,
                    null,
                    null));
        }
        return logs.resolve(day + ".jsonl");
    }

    private List<String> lines() throws IOException {
        return new ArrayList<>(Files.readAllLines(log, StandardCharsets.UTF_8));
    }

    private void rewrite(List<String> lines) throws IOException {
        Files.writeString(log, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    private static Verification broken(long lines, String problem) {
        return new Verification(false, lines, Optional.of(problem));
    }

    @Test
    void anIntactLogVerifies() {
        assertThat(AuditLog.verify(log)).isEqualTo(new Verification(true, 6, Optional.empty()));
    }

    @Test
    void anEmptyFileIsIntact() throws IOException {
        Files.writeString(log, "");
        assertThat(AuditLog.verify(log)).isEqualTo(new Verification(true, 0, Optional.empty()));
    }

    @Test
    void editingAFieldOfAMiddleLineIsFoundAtThatLine() throws IOException {
        List<String> lines = lines();
        lines.set(3, lines.get(3).replace("\"result\":\"success\"", "\"result\":\"failed\""));
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 4: hash does not match its content"));
    }

    @Test
    void editingALineAndItsHashIsFoundAtTheNextLine() throws IOException {
        List<String> lines = lines();
        String line = lines.get(3).replace("\"result\":\"success\"", "\"result\":\"failed\"");
        String unsigned = line.substring(0, line.lastIndexOf(",\"hash\":")) + "}";
        String prev =
                lines.get(2).substring(lines.get(2).length() - 66, lines.get(2).length() - 2);
        lines.set(
                3,
                unsigned.substring(0, unsigned.length() - 1) + ",\"hash\":\"" + ForgedLines.sha256(prev + unsigned)
                        + "\"}");
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 5: prev_hash does not match line 4"));
    }

    @Test
    void deletingAMiddleLineIsFound() throws IOException {
        List<String> lines = lines();
        lines.remove(2);
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(5, "line 3: prev_hash does not match line 2"));
    }

    @Test
    void deletingTheFirstLineIsFound() throws IOException {
        List<String> lines = lines();
        lines.remove(0);
        rewrite(lines);
        assertThat(AuditLog.verify(log))
                .isEqualTo(broken(5, "line 1: prev_hash is not 64 zeros, so earlier lines are missing"));
    }

    @Test
    void reorderingLinesIsFound() throws IOException {
        List<String> lines = lines();
        Collections.swap(lines, 2, 3);
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 3: prev_hash does not match line 2"));
    }

    @Test
    void repeatingALineIsFound() throws IOException {
        List<String> lines = lines();
        lines.add(2, lines.get(1));
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(7, "line 3: prev_hash does not match line 2"));
    }

    @Test
    void removingWholeLastLinesIsNotFoundByTheChainAlone() throws IOException {
        List<String> lines = lines();
        rewrite(lines.subList(0, 5));
        assertThat(AuditLog.verify(log)).isEqualTo(new Verification(true, 5, Optional.empty()));
    }

    @Test
    void aLastLineCutShortIsFound() throws IOException {
        byte[] bytes = Files.readAllBytes(log);
        Files.write(log, Arrays.copyOf(bytes, bytes.length - 30));
        assertThat(AuditLog.verify(log))
                .isEqualTo(broken(6, "line 6: cut short, the file does not end with a newline"));
        Files.write(log, Arrays.copyOf(bytes, bytes.length - 1));
        assertThat(AuditLog.verify(log))
                .isEqualTo(broken(6, "line 6: cut short, the file does not end with a newline"));
    }

    @Test
    void aLineThatIsNotJsonIsFound() throws IOException {
        List<String> lines = lines();
        lines.set(2, "garbage");
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 3: not JSON"));
        lines.set(2, "");
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 3: not JSON"));
        lines.set(2, lines.get(1) + " {}");
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 3: not JSON"));
    }

    @Test
    void aLineWithoutHashesOrWithTheHashNotLastIsFound() throws IOException {
        List<String> lines = lines();
        String line = lines.get(1);
        lines.set(1, line.substring(0, line.lastIndexOf(",\"hash\":")) + "}");
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 2: no hash"));

        lines = lines();
        lines.set(1, line.replaceFirst(",\"prev_hash\":\"[0-9a-f]{64}\"", ""));
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 2: no prev_hash"));

        lines = lines();
        lines.set(1, line.substring(0, line.length() - 1) + ",\"late\":1}");
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 2: hash is not the last field"));
    }

    @Test
    void aDuplicatedFieldIsNotJson() throws IOException {
        List<String> lines = lines();
        lines.set(1, "{\"result\":\"failed\"," + lines.get(1).substring(1));
        rewrite(lines);
        assertThat(AuditLog.verify(log)).isEqualTo(broken(6, "line 2: not JSON"));
    }

    @Test
    void aFolderIsCheckedFileByFileInDayOrder() throws IOException {
        Path earlier = write("2026-03-01", 3);
        List<String> lines = lines();
        lines.remove(4);
        rewrite(lines);
        Files.writeString(logs.resolve("notes.txt"), "not a log");
        Files.createDirectory(logs.resolve("archive.jsonl"));

        Map<Path, Verification> results = AuditLog.verifyFolder(logs);

        assertThat(results)
                .containsExactly(
                        Map.entry(earlier, new Verification(true, 3, Optional.empty())),
                        Map.entry(log, broken(5, "line 5: prev_hash does not match line 4")));
        assertThatThrownBy(() -> results.put(log, null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aMissingFileOrFolderCannotBeRead() {
        assertThatThrownBy(() -> AuditLog.verify(logs.resolve("none.jsonl")))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("none.jsonl");
        assertThatThrownBy(() -> AuditLog.verifyFolder(logs.resolve("none"))).isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void aVerificationIsIntactExactlyWhenItHasNoProblem() {
        assertThatIllegalArgumentException().isThrownBy(() -> new Verification(true, 1, Optional.of("line 1: x")));
        assertThatIllegalArgumentException().isThrownBy(() -> new Verification(false, 1, Optional.empty()));
        assertThatIllegalArgumentException().isThrownBy(() -> new Verification(true, -1, Optional.empty()));
    }

    @Test
    void aKeyedLogVerifiesWithItsKey() {
        log = write("2026-03-03", 4, KEY);
        assertThat(AuditLog.verify(log, KEY)).isEqualTo(new Verification(true, 4, Optional.empty()));
    }

    @Test
    void aLineAppendedWithAPlainHashFailsWithTheKey() throws IOException {
        log = write("2026-03-03", 4, KEY);
        List<String> lines = lines();
        String last = lines.get(3);
        lines.add(ForgedLines.forged(last.replace("\"step\":4", "\"step\":5"), ForgedLines.hashOf(last), false));
        rewrite(lines);
        assertThat(AuditLog.verify(log))
                .isEqualTo(
                        broken(5, "line 1: the chain is keyed (HMAC-SHA256): checking it" + " needs the signing key"));
        assertThat(AuditLog.verify(log, KEY))
                .isEqualTo(broken(
                        5,
                        "line 5: a plain hash where the signing key's HMAC-SHA256 belongs: the line was not written"
                                + " with the key"));
    }

    @Test
    void aLineAppendedKeepingTheKeyedMarkFailsWithTheKey() throws IOException {
        log = write("2026-03-03", 4, KEY);
        List<String> lines = lines();
        String last = lines.get(3);
        String copy = ForgedLines.forged(last.replace("\"step\":4", "\"step\":5"), ForgedLines.hashOf(last), true);
        assertThat(copy).contains("\"chain\":\"hmac-sha256\"");
        lines.add(copy);
        rewrite(lines);
        assertThat(AuditLog.verify(log, KEY))
                .isEqualTo(broken(
                        5,
                        "line 5: hash does not match its content under this key (the line was edited, or the key is"
                                + " not the one it was written with)"));
    }

    @Test
    void aLogRewrittenWithRecomputedPlainHashesFailsWithTheKey() throws IOException {
        log = write("2026-03-03", 4, KEY);
        List<String> rewritten = ForgedLines.rewritten(lines(), l -> l.replace("\"to\":\"team\"", "\"to\":\"rival\""));
        Files.writeString(log, String.join("\n", rewritten) + "\n", StandardCharsets.UTF_8);
        assertThat(AuditLog.verify(log)).isEqualTo(new Verification(true, 4, Optional.empty()));
        assertThat(AuditLog.verify(log, KEY))
                .isEqualTo(broken(
                        4,
                        "line 1: a plain hash where the signing key's HMAC-SHA256 belongs: the line was not written"
                                + " with the key"));
    }

    @Test
    void aKeyedLogFailsWithAWrongKeyAndWithoutAKey() {
        log = write("2026-03-03", 4, KEY);
        assertThat(AuditLog.verify(log, "another key, also thirty-two by".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(broken(
                        4,
                        "line 1: hash does not match its content under this key (the line was edited, or the key is"
                                + " not the one it was written with)"));
        assertThat(AuditLog.verifyFolder(logs).get(log))
                .isEqualTo(broken(4, "line 1: the chain is keyed (HMAC-SHA256): checking it needs the signing key"));
    }

    /** A log of the given events, one line each, as {@code event:plan}. */
    private Path events(String day, String... events) {
        JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults());
        int n = 0;
        for (String e : events) {
            String[] parts = e.split(":");
            sink.record(new AuditRecord(
                    Instant.parse(day + "T23:59:00Z").plusMillis(n++),
                    parts[0],
                    parts[1],
                    null,
                    parts[0].equals("tool_call") ? 1 : 0,
                    null,
                    null,
                    null,
                    Map.of(),
                    "success",
                    null,
                    null,
                    0,
                    0,
                    null,
                    null));
        }
        return logs.resolve(day + ".jsonl");
    }

    @Test
    void aToolCallBeforeItsPlanStartedIsImpossible() {
        Path file = events("2026-04-01", "plan_started:a", "tool_call:a", "tool_call:b", "plan_finished:a");
        assertThat(AuditLog.verify(file))
                .isEqualTo(broken(
                        4, "line 3: a tool_call of plan b that is not running: no plan_started of it came before"));
    }

    @Test
    void aToolCallAfterItsPlanFinishedIsImpossible() {
        Path file = events("2026-04-01", "plan_started:a", "tool_call:a", "plan_finished:a", "tool_call:a");
        assertThat(AuditLog.verify(file))
                .isEqualTo(broken(
                        4,
                        "line 4: a tool_call of plan a that is not running: it came after the plan's plan_finished,"
                                + " with no plan_started since"));
    }

    @Test
    void aPlanFinishedTwiceOrNeverStartedIsImpossible() {
        Path twice = events("2026-04-01", "plan_started:a", "plan_finished:a", "plan_finished:a");
        assertThat(AuditLog.verify(twice).problem())
                .contains("line 3: plan_finished of plan a that is not running: it came after the plan's"
                        + " plan_finished, with no plan_started since");
        Path never = events("2026-04-02", "plan_finished:c");
        assertThat(AuditLog.verify(never).problem())
                .contains("line 1: plan_finished of plan c that is not running: no plan_started of it came before");
    }

    @Test
    void rescheduledResumedAndInterleavedRunsArePossible() {
        Path file = events(
                "2026-04-01",
                "plan_rejected:x",
                "plan_started:a",
                "tool_call:a",
                "plan_started:b",
                "plan_finished:a",
                "plan_started:a", // rescheduled: runs again
                "tool_call:b",
                "plan_started:b", // resumed after a crash: no plan_finished of the first run
                "alert:b",
                "tool_call:b",
                "plan_finished:b",
                "plan_finished:a");
        assertThat(AuditLog.verify(file)).isEqualTo(new Verification(true, 12, Optional.empty()));
    }

    @Test
    void aRunAcrossMidnightIsPossibleInTheFolderAndInTheSecondFileAlone() {
        Path first = events("2026-04-01", "plan_started:a", "tool_call:a");
        Path second = events("2026-04-02", "tool_call:a", "plan_finished:a", "tool_call:a");
        String problem = "line 3: a tool_call of plan a that is not running: it came after the plan's plan_finished,"
                + " with no plan_started since";
        assertThat(AuditLog.verifyFolder(logs))
                .containsEntry(first, new Verification(true, 2, Optional.empty()))
                .containsEntry(second, broken(3, problem));
        assertThat(AuditLog.verify(second)).isEqualTo(broken(3, problem));
    }
}
