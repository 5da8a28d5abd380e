package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.core.internal.audit.JsonlAuditSink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks the audit logs that {@link McpPlanOrchestrator.Builder#auditLog(Path)} writes. Every line of a
 * {@code YYYY-MM-DD.jsonl} file ends with {@code prev_hash}, the {@code hash} of the line before it (64 zeros
 * on the first line), and {@code hash}, the lowercase hex SHA-256 of {@code prev_hash} followed by the line as
 * written without its trailing {@code ,"hash":"…"} member. So editing a line, deleting, inserting or
 * reordering lines, or cutting a line short is found, and named by its 1-based line number.
 *
 * <p>What a chain cannot show: removing whole lines from the end of a file (the shorter file is a valid chain),
 * deleting a whole file (each file is a chain of its own), or a writer who rewrites every line from the
 * edited one on with fresh hashes. Keep the last hash of a file elsewhere to catch those.
 *
 * <p>Thread-safe. It reads without the writers' lock, so a line being appended at that very moment may be
 * reported as cut short; check again, or check files of past days.
 */
public final class AuditLog {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private AuditLog() {}

    /**
     * The result of checking one file.
     *
     * @param intact whether every line is complete and in the chain
     * @param lines how many lines the file has, counting a last one without its newline
     * @param problem the first problem, as {@code line 7: hash does not match its content}; empty when intact
     */
    public record Verification(boolean intact, long lines, Optional<String> problem) {
        /**
         * @throws IllegalArgumentException if {@code lines} is negative, or {@code intact} and a problem disagree
         */
        public Verification {
            Objects.requireNonNull(problem, "problem");
            if (lines < 0) {
                throw new IllegalArgumentException("lines must not be negative: " + lines);
            }
            if (intact == problem.isPresent()) {
                throw new IllegalArgumentException("a log is intact exactly when it has no problem");
            }
        }
    }

    /**
     * Checks one audit log file.
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Verification verify(Path file) {
        Objects.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            String expectedPrev = JsonlAuditSink.GENESIS;
            String problem = null;
            long lines = 0;
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        line.write(buffer, from, i - from);
                        from = i + 1;
                        byte[] bytes = line.toByteArray();
                        line.reset();
                        lines++;
                        if (problem == null) {
                            problem = check(lines, bytes, expectedPrev);
                        }
                        expectedPrev = JsonlAuditSink.chainValue(bytes);
                    }
                }
                line.write(buffer, from, n - from);
            }
            if (line.size() > 0) {
                lines++;
                if (problem == null) {
                    problem = "line " + lines + ": cut short, the file does not end with a newline";
                }
            }
            return new Verification(problem == null, lines, Optional.ofNullable(problem));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit log " + file, e);
        }
    }

    /**
     * Checks every {@code *.jsonl} file directly in a folder.
     *
     * @return each file's result, in file name order (so by day); an immutable map
     * @throws UncheckedIOException if the folder or a file cannot be read
     */
    public static Map<Path, Verification> verifyFolder(Path logsDir) {
        Objects.requireNonNull(logsDir, "logsDir");
        List<Path> files;
        try (Stream<Path> listing = Files.list(logsDir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the audit logs in " + logsDir, e);
        }
        Map<Path, Verification> results = new LinkedHashMap<>();
        files.forEach(f -> results.put(f, verify(f)));
        return Collections.unmodifiableMap(results);
    }

    private static String check(long number, byte[] line, String expectedPrev) {
        String at = "line " + number + ": ";
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JacksonException e) {
            return at + "not JSON";
        }
        if (node == null || !node.isObject()) {
            return at + "not JSON";
        }
        JsonNode hash = node.path("hash");
        JsonNode prev = node.path("prev_hash");
        if (!hash.isString() || !prev.isString()) {
            return at + "no " + (hash.isString() ? "prev_hash" : "hash");
        }
        byte[] unsigned = JsonlAuditSink.unsigned(line, hash.stringValue());
        if (unsigned == null) {
            return at + "hash is not the last field";
        }
        if (!JsonlAuditSink.hash(prev.stringValue(), unsigned).equals(hash.stringValue())) {
            return at + "hash does not match its content";
        }
        if (!prev.stringValue().equals(expectedPrev)) {
            return number == 1
                    ? at + "prev_hash is not 64 zeros, so earlier lines are missing"
                    : at + "prev_hash does not match line " + (number - 1);
        }
        return null;
    }
}
