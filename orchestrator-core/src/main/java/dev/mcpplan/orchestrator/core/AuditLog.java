package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.core.internal.audit.JsonlAuditSink;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * written without its trailing {@code ,"hash":"…"} member; with {@code approval.signingKey} configured, the
 * HMAC-SHA256 under that key instead, marked {@code "chain":"hmac-sha256"}. So editing a line, deleting,
 * inserting or reordering lines, or cutting a line short is found, and named by its 1-based line number.
 * Given the key, a line appended or a log rewritten by someone who does not have it is found too, since its
 * hash is not the key's HMAC; without the key, a keyed log is reported as needing it.
 *
 * <p>Each plan's lines must also come in an order a run can write them: a {@code tool_call} or
 * {@code plan_finished} line only after the plan's {@code plan_started} and before its {@code plan_finished};
 * a {@code plan_started} may come again (a rescheduled plan runs again, an interrupted one is resumed). A
 * folder is checked in day order, a plan's state carried from one day's file to the next; a single file is
 * checked with the state the day before's file in the same folder leaves, when there is one.
 *
 * <p>What a plain chain cannot show: removing whole lines from the end of a file (the shorter file is a valid
 * chain), deleting a whole file (each file is a chain of its own), or, without a key, a writer who rewrites
 * every line from the edited one on with fresh hashes. Keep the last hash of a file elsewhere to catch the
 * first two.
 *
 * <p>Thread-safe. It reads without the writers' lock, so a line being appended at that very moment may be
 * reported as cut short; check again, or check files of past days.
 */
public final class AuditLog {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern DAY_FILE = Pattern.compile("(\\d{4}-\\d{2}-\\d{2})\\.jsonl");

    /** The {@code prev_hash} of a chain's first line: 64 zeros. */
    public static final String GENESIS = JsonlAuditSink.GENESIS;

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
     * Checks one audit log file written without a key.
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Verification verify(Path file) {
        return verify(file, null);
    }

    /**
     * Checks one audit log file written with {@code key} as its signing key, or without one when it is null.
     *
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Verification verify(Path file, byte[] key) {
        Objects.requireNonNull(file, "file");
        Lifecycle lifecycle = new Lifecycle();
        dayBefore(file).filter(Files::isRegularFile).ifPresent(d -> read(d, key, lifecycle));
        return read(file, key, lifecycle);
    }

    /** The file of the day before, for a file named {@code YYYY-MM-DD.jsonl}. */
    private static Optional<Path> dayBefore(Path file) {
        Matcher day = DAY_FILE.matcher(file.getFileName().toString());
        if (!day.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(file.resolveSibling(LocalDate.parse(day.group(1)).minusDays(1) + ".jsonl"));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Verification read(Path file, byte[] key, Lifecycle lifecycle) {
        try (InputStream in = Files.newInputStream(file)) {
            Chain chain = new Chain(key, lifecycle);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                int from = 0;
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        line.write(buffer, from, i - from);
                        from = i + 1;
                        chain.next(line.toByteArray());
                        line.reset();
                    }
                }
                line.write(buffer, from, n - from);
            }
            if (line.size() > 0) {
                chain.cutShort();
            }
            return chain.verification();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the audit log " + file, e);
        }
    }

    /** The lines of one chain as they are read: how many, what each next one must name, the first problem. */
    private static final class Chain {
        private final byte[] key;
        private final Lifecycle lifecycle;
        private String expectedPrev = JsonlAuditSink.GENESIS;
        private String problem;
        private long lines;

        Chain(byte[] key, Lifecycle lifecycle) {
            this.key = key;
            this.lifecycle = lifecycle;
        }

        void next(byte[] line) {
            lines++;
            if (problem == null) {
                problem = check(lines, line, expectedPrev, key, lifecycle);
            }
            expectedPrev = JsonlAuditSink.chainValue(line);
        }

        /** A last line without its newline. */
        void cutShort() {
            lines++;
            if (problem == null) {
                problem = "line " + lines + ": cut short, the file does not end with a newline";
            }
        }

        Verification verification() {
            return new Verification(problem == null, lines, Optional.ofNullable(problem));
        }
    }

    /**
     * Checks a chain kept elsewhere than in a file (a database table, say): its lines in order, each
     * without a newline, written with {@code key} as the signing key, or without one when it is null.
     * Line numbers in the problem count from 1. The order of each plan's own lines is not checked, since
     * several instances write such a chain and an instance that lost a plan may still record a call it
     * made.
     */
    public static Verification verifyLines(Iterable<byte[]> lines, byte[] key) {
        Chain chain = new Chain(key, null);
        lines.forEach(chain::next);
        return chain.verification();
    }

    /**
     * The line a chain holds for {@code record} after a line whose chain value is {@code prev} (see
     * {@link #chainValue}; 64 zeros for the first line), with a signing key or without one (null): the
     * fields of the files' lines, in their order, values of secret shape redacted, and {@code hash} last.
     * No newline.
     */
    public static byte[] line(AuditRecord record, String prev, byte[] key) {
        return JsonlAuditSink.signed(JsonlAuditSink.fields(record, Redactor.defaults()), prev, key);
    }

    /** What the line after {@code line} names as its {@code prev_hash}: the line's {@code hash}. */
    public static String chainValue(byte[] line) {
        return JsonlAuditSink.chainValue(line);
    }

    /**
     * Checks every {@code *.jsonl} file directly in a folder, written without a key.
     *
     * @return each file's result, in file name order (so by day); an immutable map
     * @throws UncheckedIOException if the folder or a file cannot be read
     */
    public static Map<Path, Verification> verifyFolder(Path logsDir) {
        return verifyFolder(logsDir, null);
    }

    /**
     * Checks every {@code *.jsonl} file directly in a folder, written with {@code key} as the signing key, or
     * without one when it is null.
     *
     * @return each file's result, in file name order (so by day); an immutable map
     * @throws UncheckedIOException if the folder or a file cannot be read
     */
    public static Map<Path, Verification> verifyFolder(Path logsDir, byte[] key) {
        Objects.requireNonNull(logsDir, "logsDir");
        List<Path> files;
        try (Stream<Path> listing = Files.list(logsDir)) {
            files = listing.filter(p -> p.getFileName().toString().endsWith(".jsonl") && Files.isRegularFile(p))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the audit logs in " + logsDir, e);
        }
        Lifecycle lifecycle = new Lifecycle();
        Map<Path, Verification> results = new LinkedHashMap<>();
        files.forEach(f -> results.put(f, read(f, key, lifecycle)));
        return Collections.unmodifiableMap(results);
    }

    private static String check(long number, byte[] line, String expectedPrev, byte[] key, Lifecycle lifecycle) {
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
        boolean keyed = JsonlAuditSink.KEYED.equals(text(node, "chain"));
        if (keyed && key == null) {
            return at + "the chain is keyed (HMAC-SHA256): checking it needs the signing key";
        }
        if (!keyed && key != null) {
            return at + "a plain hash where the signing key's HMAC-SHA256 belongs: the line was not written with"
                    + " the key";
        }
        if (!JsonlAuditSink.hash(key, prev.stringValue(), unsigned).equals(hash.stringValue())) {
            return at + "hash does not match its content"
                    + (keyed
                            ? " under this key (the line was edited, or the"
                                    + " key is not the one it was written with)"
                            : "");
        }
        if (!prev.stringValue().equals(expectedPrev)) {
            return number == 1
                    ? at + "prev_hash is not 64 zeros, so earlier lines are missing"
                    : at + "prev_hash does not match line " + (number - 1);
        }
        return lifecycle == null ? null : lifecycle.next(node).map(p -> at + p).orElse(null);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isString() ? value.stringValue() : null;
    }

    /** Where each plan is in its run, as the lines read so far tell. */
    private static final class Lifecycle {
        private final Map<String, Boolean> running = new HashMap<>();

        /** Takes in one line; what is impossible about it, if anything. */
        Optional<String> next(JsonNode line) {
            String plan = text(line, "plan_id");
            String event = text(line, "event");
            if (plan == null || event == null) {
                return Optional.empty();
            }
            boolean started = running.getOrDefault(plan, false);
            switch (event) {
                case "plan_started" -> running.put(plan, true);
                case "tool_call" -> {
                    if (!started) {
                        return Optional.of(impossible("a tool_call", plan));
                    }
                }
                case "plan_finished" -> {
                    if (!started) {
                        return Optional.of(impossible("plan_finished", plan));
                    }
                    running.put(plan, false);
                }
                default -> {
                    // other events (alert, plan_rejected, ...) may come at any time
                }
            }
            return Optional.empty();
        }

        private String impossible(String what, String plan) {
            return what + " of plan " + plan + " that is not running: "
                    + (running.containsKey(plan)
                            ? "it came after the plan's plan_finished, with no plan_started since"
                            : "no plan_started of it came before");
        }
    }
}
