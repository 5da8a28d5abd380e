package dev.mcpplan.orchestrator.core.testing;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;

/** Audit log lines as someone without the signing key writes them: a plain SHA-256 chain. */
public final class ForgedLines {
    private ForgedLines() {}

    /**
     * The line with {@code prev} as its {@code prev_hash} and a plain hash; its {@code "chain":"hmac-sha256"}
     * mark is dropped unless {@code keepMark}.
     */
    public static String forged(String line, String prev, boolean keepMark) {
        String body = keepMark ? line : line.replace(",\"chain\":\"hmac-sha256\"", "");
        String unsigned = body.replaceFirst(",\"prev_hash\":\"[0-9a-f]{64}\",\"hash\":\"[0-9a-f]{64}\"}$", "")
                + ",\"prev_hash\":\"" + prev + "\"}";
        return unsigned.substring(0, unsigned.length() - 1) + ",\"hash\":\"" + sha256(prev + unsigned) + "\"}";
    }

    /** The lines, each edited, chained anew with plain hashes from the first on, as a forger rewrites a log. */
    public static List<String> rewritten(List<String> lines, UnaryOperator<String> edit) {
        List<String> out = new ArrayList<>();
        String prev = "0".repeat(64);
        for (String line : lines) {
            String plain = forged(edit.apply(line), prev, false);
            out.add(plain);
            prev = hashOf(plain);
        }
        return out;
    }

    /** The {@code hash} value of a line. */
    public static String hashOf(String line) {
        return line.substring(line.length() - 66, line.length() - 2);
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
