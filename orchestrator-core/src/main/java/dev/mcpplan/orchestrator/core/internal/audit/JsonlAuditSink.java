package dev.mcpplan.orchestrator.core.internal.audit;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.internal.io.FileLocks;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.AuditSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Appends one JSON object per event to {@code <logs>/YYYY-MM-DD.jsonl} (UTC day of the event), with the
 * fields of the AI-employee vault convention ({@code timestamp, action_type, actor, target, parameters,
 * approval_status, approved_by, result}; {@code result} is the real outcome, such as {@code success} or
 * {@code failed}), the orchestrator's own (with {@code response}, what the tool answered, redacted and
 * bounded), and two last fields that chain the lines of
 * a file: {@code prev_hash} and {@code hash}. Parameters, approver, message and response are redacted again here.
 *
 * <p>The chain rule: {@code hash} is the lowercase hex SHA-256 of the UTF-8 bytes of the {@code prev_hash}
 * value (64 hex digits) followed by the line exactly as written, minus its trailing {@code ,"hash":"…"}
 * member; with a signing key it is the HMAC-SHA256 under that key of the same bytes, and the line carries
 * {@code "chain":"hmac-sha256"} just before {@code prev_hash}, so that nobody without the key can append a
 * line or rewrite the log with fresh hashes that a check with the key accepts. The hashed bytes end with the {@code prev_hash} member and the closing brace. The fields
 * are compact JSON in the order above, {@code hash} always last; a checker hashes the bytes as they are and
 * never re-serialises. {@code prev_hash} is the {@code hash} of the line before, or 64 zeros on the first line
 * of a file. When the line before carries no hash (written before the chain existed, or cut short by a
 * crash), {@code prev_hash} is the SHA-256 of that line's bytes, and a line cut short is first ended with a
 * newline. Each file is a chain of its own. {@code dev.mcpplan.orchestrator.core.AuditLog} checks a file
 * against this rule.
 *
 * <p>Thread-safe. Each line is one write, forced to disk, under an exclusive file lock; the previous hash is
 * read backwards from the end of the file under the same lock, so several threads, sinks and processes may
 * append to one log.
 */
public final class JsonlAuditSink implements AuditSink {
    /** The {@code prev_hash} of the first line of a file. */
    public static final String GENESIS = "0".repeat(64);

    /** The {@code chain} value of a line whose hash is an HMAC-SHA256 under the signing key. */
    public static final String KEYED = "hmac-sha256";

    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    private static final int CHUNK = 8192;
    // A JVM may not hold two locks on one file, so sinks of one JVM queue here before taking the file lock.
    private static final ConcurrentMap<Path, Object> FILES = new ConcurrentHashMap<>();

    private final Path logs;
    private final Redactor redactor;
    private final byte[] key;

    /** A sink whose chain is plain SHA-256. */
    public JsonlAuditSink(Path logs, Redactor redactor) {
        this(logs, redactor, null);
    }

    /** A sink whose chain is an HMAC-SHA256 under {@code key}, or plain SHA-256 when it is null. */
    public JsonlAuditSink(Path logs, Redactor redactor, byte[] key) {
        this.logs = Objects.requireNonNull(logs, "logs");
        this.redactor = Objects.requireNonNull(redactor, "redactor");
        this.key = key == null ? null : key.clone();
    }

    @Override
    public void record(AuditRecord r) {
        Map<String, Object> line = fields(r, redactor);
        Path file = logs.resolve(r.timestamp().atZone(ZoneOffset.UTC).toLocalDate() + ".jsonl");
        try {
            Files.createDirectories(logs);
            synchronized (FILES.computeIfAbsent(file.toAbsolutePath().normalize(), f -> new Object())) {
                append(file, line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the audit log " + file, e);
        }
    }

    /** The fields of a record's line, in their order, redacted, without the chain's. */
    public static Map<String, Object> fields(AuditRecord r, Redactor redactor) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("timestamp", r.timestamp().toString());
        line.put("action_type", r.action() != null ? r.action() : r.event());
        line.put("actor", "mcp-orchestrator");
        line.put("target", r.server() != null ? r.server() + "/" + r.tool() : r.planId());
        line.put("parameters", redactor.redact(r.parameters()));
        line.put("approval_status", r.errorKind() == ErrorKind.APPROVAL ? "rejected" : "approved");
        line.put("approved_by", r.approver() == null ? null : redactor.redact(r.approver()));
        line.put("result", r.status());
        line.put("event", r.event());
        line.put("plan_id", r.planId());
        line.put("task_id", r.taskId());
        line.put("step", r.step());
        line.put("server", r.server());
        line.put("tool", r.tool());
        line.put("error_kind", r.errorKind() == null ? null : r.errorKind().name());
        line.put("message", r.message() == null ? null : redactor.redact(r.message()));
        line.put("response", r.response() == null ? null : redactor.redact(r.response()));
        line.put("duration_ms", r.durationMs());
        line.put("attempt", r.attempt());
        return line;
    }

    /** The line of {@code fields} in the chain after {@code prev}, its hash last, without a newline. */
    public static byte[] signed(Map<String, Object> fields, String prev, byte[] key) {
        Map<String, Object> line = new LinkedHashMap<>(fields);
        if (key != null) {
            line.put("chain", KEYED);
        }
        line.put("prev_hash", prev);
        byte[] unsigned = JsonMapper.shared().writeValueAsBytes(line);
        byte[] signature = (",\"hash\":\"" + hash(key, prev, unsigned) + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(unsigned, unsigned.length - 1 + signature.length);
        System.arraycopy(signature, 0, out, unsigned.length - 1, signature.length);
        return out;
    }

    private void append(Path file, Map<String, Object> line) throws IOException {
        try (FileChannel channel =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = FileLocks.exclusive(channel);
            try {
                long size = channel.size();
                String prev = GENESIS;
                boolean cutShort = false;
                if (size > 0) {
                    cutShort = read(channel, size - 1, 1)[0] != '\n';
                    prev = chainValue(lastLine(channel, cutShort ? size : size - 1));
                }
                byte[] signed = signed(line, prev, key);
                ByteBuffer out = ByteBuffer.allocate((cutShort ? 1 : 0) + signed.length + 1);
                if (cutShort) {
                    out.put((byte) '\n');
                }
                out.put(signed).put((byte) '\n').flip();
                for (long at = size; out.hasRemaining(); ) {
                    at += channel.write(out, at);
                }
                channel.force(false);
            } finally {
                lock.release();
            }
        }
    }

    /** The bytes of the line that ends (exclusive, before its newline if any) at {@code end}. */
    private static byte[] lastLine(FileChannel channel, long end) throws IOException {
        long start = lineStart(channel, end);
        return read(channel, start, Math.toIntExact(end - start));
    }

    private static long lineStart(FileChannel channel, long end) throws IOException {
        for (long pos = end; pos > 0; pos -= CHUNK) {
            int n = (int) Math.min(CHUNK, pos);
            byte[] chunk = read(channel, pos - n, n);
            for (int i = n - 1; i >= 0; i--) {
                if (chunk[i] == '\n') {
                    return pos - n + i + 1;
                }
            }
        }
        return 0;
    }

    private static byte[] read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("the file shrank while it was locked");
            }
        }
        return buffer.array();
    }

    /**
     * What the line after this one has as {@code prev_hash}: this line's {@code hash}, or the SHA-256 of its
     * bytes when it carries none.
     */
    public static String chainValue(byte[] line) {
        try {
            JsonNode hash = JsonMapper.shared().readTree(line).path("hash");
            if (hash.isString() && HASH.matcher(hash.stringValue()).matches()) {
                return hash.stringValue();
            }
        } catch (JacksonException notJson) {
            // falls through to the digest of the raw bytes
        }
        return HexFormat.of().formatHex(sha256().digest(line));
    }

    /**
     * The {@code hash} of a line whose {@code prev_hash} is {@code prev}, given the line without its hash: the
     * HMAC-SHA256 under {@code key}, or the plain SHA-256 when {@code key} is null.
     */
    public static String hash(byte[] key, String prev, byte[] unsigned) {
        byte[] prevBytes = prev.getBytes(StandardCharsets.UTF_8);
        if (key == null) {
            MessageDigest digest = sha256();
            digest.update(prevBytes);
            return HexFormat.of().formatHex(digest.digest(unsigned));
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prevBytes);
            return HexFormat.of().formatHex(mac.doFinal(unsigned));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime has HmacSHA256", e);
        }
    }

    /** The line without its trailing {@code ,"hash":"<hash>"} member, or null when it does not end so. */
    public static byte[] unsigned(byte[] line, String hash) {
        byte[] suffix = (",\"hash\":\"" + hash + "\"}").getBytes(StandardCharsets.UTF_8);
        int cut = line.length - suffix.length;
        if (cut < 1 || !Arrays.equals(line, cut, line.length, suffix, 0, suffix.length)) {
            return null;
        }
        byte[] unsigned = Arrays.copyOf(line, cut + 1);
        unsigned[cut] = '}';
        return unsigned;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
