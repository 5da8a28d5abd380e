package dev.mcpplan.orchestrator.core.internal.audit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from parameters and text before they reach a log, an audit line or a report: values
 * under secret-looking keys become {@code ***}; bearer tokens, private keys and common API key shapes
 * anywhere in text become {@code ***}; e-mail addresses are masked as {@code c***@***.com}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Redactor {
    static final String MASK = "***";
    private static final List<String> DEFAULT_KEYS = List.of("password", "passwd", "token", "secret", "apikey",
            "api_key", "api-key", "authorization", "cookie", "private_key", "privatekey", "credential", "auth");
    private static final List<Pattern> SECRET_VALUES = List.of(
            Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/=-]+"),
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
            Pattern.compile("\\b(?:sk|pk|ghp|gho|xox[bpas])[-_][A-Za-z0-9_-]{6,}"),
            Pattern.compile("\\bAKIA[0-9A-Z]{12,}\\b"),
            Pattern.compile("\\beyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"));
    private static final Pattern EMAIL = Pattern.compile("([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@[A-Za-z0-9.-]+\\.([A-Za-z]{2,})");

    private final List<String> secretKeys;

    private Redactor(List<String> secretKeys) {
        this.secretKeys = List.copyOf(secretKeys);
    }

    public static Redactor defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A deep copy of the parameters with every secret masked. */
    public Map<String, Object> redact(Map<String, ?> parameters) {
        Map<String, Object> out = new LinkedHashMap<>();
        parameters.forEach((k, v) -> out.put(k, secretKey(k) ? MASK : redactValue(v)));
        return out;
    }

    /** The text with every secret-looking value masked. */
    public String redact(String text) {
        String out = text;
        for (Pattern p : SECRET_VALUES) {
            out = p.matcher(out).replaceAll(MASK);
        }
        Matcher m = EMAIL.matcher(out);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + "***@***." + r.group(2)));
    }

    private Object redactValue(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), secretKey(String.valueOf(k)) ? MASK : redactValue(v)));
            return copy;
        }
        if (value instanceof Collection<?> items) {
            List<Object> copy = new ArrayList<>();
            items.forEach(i -> copy.add(redactValue(i)));
            return copy;
        }
        return value instanceof String s ? redact(s) : value;
    }

    private boolean secretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return secretKeys.stream().anyMatch(k::contains);
    }

    /** Builds a {@link Redactor}. Not thread-safe. */
    public static final class Builder {
        private final List<String> keys = new ArrayList<>(DEFAULT_KEYS);

        private Builder() {
        }

        /** Adds parameter names (matched case-insensitively, as part of a key) whose values are secrets. */
        public Builder secretKeys(Collection<String> names) {
            names.forEach(n -> keys.add(n.toLowerCase(Locale.ROOT)));
            return this;
        }

        public Redactor build() {
            return new Redactor(keys);
        }
    }
}
