package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.core.AuditLog.Verification;
import dev.mcpplan.orchestrator.core.internal.audit.JsonlAuditSink;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    @TempDir
    Path logs;

    private Path log;

    @BeforeEach
    void sixLines() {
        log = write("2026-03-02", 6);
    }

    private Path write(String day, int lines) {
        JsonlAuditSink sink = new JsonlAuditSink(logs, Redactor.defaults());
        for (int step = 1; step <= lines; step++) {
            sink.record(new AuditRecord(
                    Instant.parse(day + "T10:00:00Z").plusSeconds(step),
                    "tool_call",
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
        lines.set(3, unsigned.substring(0, unsigned.length() - 1) + ",\"hash\":\"" + sha256(prev + unsigned) + "\"}");
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

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
