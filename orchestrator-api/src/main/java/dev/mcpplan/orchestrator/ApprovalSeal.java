package dev.mcpplan.orchestrator;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Binds an approval to what was approved: the hash of a plan's steps and the signature of an approval.
 * An approval tool seals a plan with {@link #seal}; the orchestrator checks with {@link #hash} and
 * {@link #verify} that the plan it runs is the one that was approved, by the one who approved it.
 *
 * <p>The hash ({@code sha256:} and 64 hex digits) covers, for every step in order, its number, its text
 * with runs of white space made one space, its explicit action, and its parameters as canonical JSON
 * (keys sorted, numbers in their shortest plain form). A checkbox, white space, the front matter and
 * the Execution Log do not count, so the orchestrator's own progress never breaks the seal; an edit of
 * any step's text, action or parameter does.
 *
 * <p>The signature ({@code hmac-sha256:} and base64url) is an HMAC-SHA256, under a key the approval tool
 * and the orchestrator share, of the lines {@code mcp-plan-approval/v1}, approver, approved-at,
 * expires-at (empty when none) and the hash.
 *
 * <p>Stateless and thread-safe.
 */
public final class ApprovalSeal {
    private static final String VERSION = "mcp-plan-approval/v1";
    private static final String HASH_PREFIX = "sha256:";
    private static final String SIGNATURE_PREFIX = "hmac-sha256:";

    private ApprovalSeal() {}

    /** The hash of the plan's steps, as {@code approval_hash} carries it. */
    public static String hash(Plan plan) {
        StringBuilder canonical = new StringBuilder(VERSION).append('\n');
        for (Step step : plan.steps()) {
            canonical
                    .append(step.number())
                    .append('\t')
                    .append(step.text().strip().replaceAll("\\s+", " "))
                    .append('\t')
                    .append(step.action().orElse(""))
                    .append('\t');
            json(canonical, step.parameters());
            canonical.append('\n');
        }
        return HASH_PREFIX + HexFormat.of().formatHex(sha256(canonical.toString()));
    }

    /**
     * The signature of an approval.
     *
     * @param key the shared signing key; at least 32 bytes
     * @param expiresAt when the approval ends, or null when it does not
     * @throws IllegalArgumentException if the key is shorter than 32 bytes
     */
    public static String sign(byte[] key, String approvedBy, Instant approvedAt, Instant expiresAt, String hash) {
        if (key.length < 32) {
            throw new IllegalArgumentException("a signing key needs at least 32 bytes; this one has " + key.length);
        }
        String message = String.join(
                "\n",
                VERSION,
                Objects.requireNonNull(approvedBy, "approvedBy"),
                Objects.requireNonNull(approvedAt, "approvedAt").toString(),
                expiresAt == null ? "" : expiresAt.toString(),
                Objects.requireNonNull(hash, "hash"));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return SIGNATURE_PREFIX
                    + Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /**
     * Whether the approval's signature is the one {@code key} gives for its approver, times and hash.
     * False when any of them is missing. The comparison takes the same time wherever the signatures differ.
     */
    public static boolean verify(byte[] key, Approval approval) {
        if (approval.signature().isEmpty()
                || approval.approvedBy().isEmpty()
                || approval.approvedAt().isEmpty()
                || approval.approvalHash().isEmpty()) {
            return false;
        }
        String expected = sign(
                key,
                approval.approvedBy().get(),
                approval.approvedAt().get(),
                approval.expiresAt().orElse(null),
                approval.approvalHash().get());
        return MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8),
                approval.signature().get().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The plan's approval sealed: approver, times, the hash of its steps and, when a key is given, the
     * signature. Listed actions and risk level are kept from the plan's approval.
     *
     * @param expiresAt when the approval ends, or null
     * @param key the signing key, or null to seal with the hash alone
     */
    public static Approval seal(Plan plan, String approvedBy, Instant approvedAt, Instant expiresAt, byte[] key) {
        String hash = hash(plan);
        Approval.Builder sealed = plan.approval().toBuilder()
                .approvedBy(approvedBy)
                .approvedAt(approvedAt)
                .expiresAt(expiresAt)
                .approvalHash(hash)
                .signature(null);
        if (key != null) {
            sealed.signature(sign(key, approvedBy, approvedAt, expiresAt, hash));
        }
        return sealed.build();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static void json(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Map<?, ?> map) {
            Map<String, Object> sorted = new TreeMap<>();
            map.forEach((k, v) -> sorted.put(String.valueOf(k), v));
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                out.append(first ? "" : ",");
                first = false;
                string(out, e.getKey());
                out.append(':');
                json(out, e.getValue());
            }
            out.append('}');
        } else if (value instanceof Collection<?> items) {
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                out.append(first ? "" : ",");
                first = false;
                json(out, item);
            }
            out.append(']');
        } else if (value instanceof Double d && !Double.isFinite(d)) {
            string(out, d.toString());
        } else if (value instanceof Float f && !Float.isFinite(f)) {
            string(out, f.toString());
        } else if (value instanceof Number number) {
            out.append(new BigDecimal(number.toString()).stripTrailingZeros().toPlainString());
        } else if (value instanceof Boolean) {
            out.append(value);
        } else {
            string(out, value.toString());
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
