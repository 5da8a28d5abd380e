package dev.mcpplan.orchestrator;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Binds an approval to what was approved: a hash of everything that decides what the approval allows,
 * and a signature of it. An approval tool seals a plan with {@link #seal}; the orchestrator checks with
 * {@link #hash} and {@link #verify} that the plan it runs is the one that was approved, by the one who
 * approved it, on the terms approved.
 *
 * <p>The canonical form ({@value #VERSION}) is that line, then one JSON object with sorted keys:
 * {@code type} (plan or approval_request), {@code plan_id}, {@code task_id}, {@code approved_by},
 * {@code approved_at}, {@code expires_at}, {@code risk_level}, {@code approved_actions} (sorted) and
 * {@code steps}: for every step in order its number, {@code id}, text with runs of white space made one
 * space, explicit action, {@code depends_on} and parameters as canonical JSON (keys sorted, numbers in
 * their shortest plain form). An absent field is {@code null}, so removing a field is an edit like any
 * other. A checkbox, white space, {@code status} and what the orchestrator writes back while it runs
 * ({@code started_at}, {@code error}, the Execution Log) do not count, so its own progress never breaks
 * the seal.
 *
 * <p>The hash is {@code v2:sha256:} and 64 hex digits; the signature is {@code v2:hmac-sha256:} and
 * base64url, an HMAC-SHA256 of the canonical form under a key the approval tool and the orchestrator
 * share. Seals of the first form ({@code sha256:}, {@code hmac-sha256:}, which covered the steps and
 * only the approver and times) are not accepted: see {@link #isCurrent}.
 *
 * <p>Stateless and thread-safe.
 */
public final class ApprovalSeal {
    /** The name of the canonical form, its first line. */
    public static final String VERSION = "mcp-plan-approval/v2";

    private static final String HASH_PREFIX = "v2:sha256:";
    private static final String SIGNATURE_PREFIX = "v2:hmac-sha256:";
    private static final Pattern WHITE_SPACE = Pattern.compile("\\s+");

    private ApprovalSeal() {}

    /** The hash of what the approval allows, as {@code approval_hash} carries it; computed once per plan. */
    public static String hash(Plan plan) {
        String hash = plan.sealHash;
        if (hash == null) {
            hash = HASH_PREFIX + HexFormat.of().formatHex(sha256(canonical(plan)));
            plan.sealHash = hash;
        }
        return hash;
    }

    /**
     * The signature of the plan's approval, as {@code approval_signature} carries it.
     *
     * @param key the shared signing key; at least 32 bytes
     * @throws IllegalArgumentException if the key is shorter than 32 bytes
     */
    public static String sign(byte[] key, Plan plan) {
        if (key.length < 32) {
            throw new IllegalArgumentException("a signing key needs at least 32 bytes; this one has " + key.length);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return SIGNATURE_PREFIX
                    + Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(mac.doFinal(canonical(plan).getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /**
     * Whether the plan's {@code approval_signature} is the one {@code key} gives for the plan as it is
     * now. False when it has none. The comparison takes the same time wherever the signatures differ.
     */
    public static boolean verify(byte[] key, Plan plan) {
        Optional<String> signature = plan.approval().signature();
        return signature.isPresent()
                && MessageDigest.isEqual(
                        sign(key, plan).getBytes(StandardCharsets.UTF_8),
                        signature.get().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Whether a hash or signature is of the current form ({@value #VERSION}); one of an older form
     * covers less than the approval allows and has to be made again.
     */
    public static boolean isCurrent(String sealValue) {
        return sealValue.startsWith(HASH_PREFIX) || sealValue.startsWith(SIGNATURE_PREFIX);
    }

    /**
     * The plan's approval sealed: approver and times set, the hash and, when a key is given, the
     * signature. Listed actions and risk level are kept from the plan's approval and sealed with it.
     *
     * @param expiresAt when the approval ends, or null
     * @param key the signing key, or null to seal with the hash alone
     */
    public static Approval seal(Plan plan, String approvedBy, Instant approvedAt, Instant expiresAt, byte[] key) {
        Plan approved = plan.toBuilder()
                .approval(plan.approval().toBuilder()
                        .approvedBy(Objects.requireNonNull(approvedBy, "approvedBy"))
                        .approvedAt(Objects.requireNonNull(approvedAt, "approvedAt"))
                        .expiresAt(expiresAt)
                        .approvalHash(null)
                        .signature(null)
                        .build())
                .build();
        return approved.approval().toBuilder()
                .approvalHash(hash(approved))
                .signature(key == null ? null : sign(key, approved))
                .build();
    }

    /** The canonical form: the version line and the sealed fields as one JSON object with sorted keys. */
    static String canonical(Plan plan) {
        Approval approval = plan.approval();
        Map<String, Object> fields = new TreeMap<>();
        fields.put("type", plan.kind() == Plan.Kind.APPROVAL_REQUEST ? "approval_request" : "plan");
        fields.put("plan_id", plan.id());
        fields.put("task_id", plan.taskId().orElse(null));
        fields.put("approved_by", approval.approvedBy().orElse(null));
        fields.put("approved_at", approval.approvedAt().map(Instant::toString).orElse(null));
        fields.put("expires_at", approval.expiresAt().map(Instant::toString).orElse(null));
        fields.put("risk_level", approval.riskLevel().orElse(null));
        fields.put(
                "approved_actions",
                approval.approvedActions().map(a -> new TreeSet<>(a)).orElse(null));
        List<Object> steps = new ArrayList<>();
        for (Step step : plan.steps()) {
            Map<String, Object> s = new TreeMap<>();
            s.put("number", step.number());
            s.put("id", step.id().orElse(null));
            s.put("text", WHITE_SPACE.matcher(step.text().strip()).replaceAll(" "));
            s.put("action", step.action().orElse(null));
            s.put("depends_on", step.dependsOn());
            s.put("parameters", step.parameters());
            steps.add(s);
        }
        fields.put("steps", steps);
        StringBuilder canonical = new StringBuilder(VERSION).append('\n');
        json(canonical, fields);
        return canonical.toString();
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
