package dev.mcpplan.orchestrator.core.internal.audit;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from parameters and text before they reach a log, an audit line or a report. Map keys
 * stay; values are masked:
 * <ul>
 *   <li>values under secret-looking keys become {@code ***}, in maps and in text ({@code password=x},
 *       {@code "api_key": "x"}, {@code Authorization: Basic x});
 *   <li>bearer tokens, private keys, common API key shapes, JWTs and any configured pattern become {@code ***};
 *   <li>e-mail addresses become {@code c***@***.com};
 *   <li>payment card numbers (13 to 19 digits passing the Luhn check, either unbroken or in groups of 3 to 6
 *       digits, the last one maybe shorter, split by one kind of separator, space or dash) become
 *       {@code ****-****-****-1234};
 *   <li>phone numbers (7 to 15 digits starting with {@code +}, a leading {@code 0} or an area code in
 *       parentheses, in groups split by spaces, dashes or slashes) keep their last two digits: {@code ***67}.
 * </ul>
 * Dates such as {@code 2026-03-02} or {@code 02/03/2026}, times, plain numbers and ids such as
 * {@code 20260216-141530} are left alone.
 *
 * <p>Immutable and thread-safe.
 *
 * <p>By default the secret key names are {@code password, passwd, token, secret, apikey, api_key, api-key,
 * authorization, cookie, session, private_key, privatekey, credential, auth, pin, cvv, ssn}. A name longer
 * than three letters matches as part of a key ({@code token} masks {@code access_token}); a shorter one only
 * as a whole word of it ({@code pin} masks {@code card_pin} and {@code pinCode}, not {@code shipping}).
 */
public final class Redactor {
    static final String MASK = "***";
    private static final List<String> DEFAULT_KEYS = List.of(
            "password",
            "passwd",
            "token",
            "secret",
            "apikey",
            "api_key",
            "api-key",
            "authorization",
            "cookie",
            "session",
            "private_key",
            "privatekey",
            "credential",
            "auth",
            "pin",
            "cvv",
            "ssn");
    private static final List<Pattern> SECRET_VALUES = List.of(
            Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/=-]+"),
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
            Pattern.compile("\\b(?:sk|pk|ghp|gho|xox[bpas])[-_][A-Za-z0-9_-]{6,}"),
            Pattern.compile("\\bAKIA[0-9A-Z]{12,}\\b"),
            Pattern.compile("\\beyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+"));
    /**
     * {@code key=value}, {@code key: value}, {@code "key": "value"}; an auth scheme word goes with its value;
     * not {@code https://}.
     */
    private static final Pattern KEY_VALUE =
            Pattern.compile("(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]*+)([\"']?\\s*+[:=]\\s*+)(?!/)"
                    + "(\"[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\"|'[^']*+'"
                    + "|(?:(?i:basic|bearer|digest|token)\\s++)?[^\\s\"',;&(){}\\[\\]]++)");

    private static final Pattern EMAIL = Pattern.compile(
            "(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*+@[A-Za-z0-9.-]+\\.([A-Za-z]{2,})");
    /** Digits joined by single spaces or dashes; not the tail of a decimal, a list or a phone's country code. */
    private static final Pattern DIGIT_RUN = Pattern.compile("(?<![\\d.,+])\\d++(?:[ -]\\d++)*+");

    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern PHONE_START =
            Pattern.compile("(?<![\\w+*./-])(?:\\+\\d{1,3}|\\(\\d{2,5}\\)|0\\d{1,5})");
    private static final Pattern PHONE_PART = Pattern.compile("[ /-]?\\(\\d{1,5}\\)|[ /-]\\d{2,}|\\d+");
    private static final Pattern DATE = Pattern.compile("\\d{1,2}([/-])\\d{1,2}\\1\\d{2,4}");
    private static final Pattern WORD_BREAK =
            Pattern.compile("[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])");

    private final List<String> secretKeys;
    private final List<Pattern> valuePatterns;

    private Redactor(List<String> secretKeys, List<Pattern> valuePatterns) {
        this.secretKeys = List.copyOf(secretKeys);
        this.valuePatterns = List.copyOf(valuePatterns);
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
        String out = keyValues(text);
        for (Pattern p : SECRET_VALUES) {
            out = p.matcher(out).replaceAll(MASK);
        }
        for (Pattern p : valuePatterns) {
            out = p.matcher(out).replaceAll(MASK);
        }
        out = EMAIL.matcher(out).replaceAll(r -> Matcher.quoteReplacement(r.group(1) + "***@***." + r.group(2)));
        return maskPhones(maskCards(out));
    }

    /**
     * Masks the values of secret keys; the value of any other key is looked into in turn, since it
     * may hold a pair of its own ({@code error: password=x}).
     */
    private String keyValues(String text) {
        return KEY_VALUE
                .matcher(text)
                .replaceAll(r -> Matcher.quoteReplacement(
                        secretKey(r.group(1))
                                ? r.group(1) + r.group(2) + quoted(r.group(3))
                                : r.group(1) + r.group(2) + keyValues(r.group(3))));
    }

    private static String quoted(String value) {
        char first = value.charAt(0);
        return first == '"' || first == '\'' ? first + MASK + first : MASK;
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
        if (value instanceof Long || value instanceof BigInteger) {
            // a card number may arrive as a JSON number
            String digits = value.toString();
            String masked = maskCards(digits);
            return masked.equals(digits) ? value : masked;
        }
        return value instanceof String s ? redact(s) : value;
    }

    private boolean secretKey(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        List<String> words = null;
        for (String name : secretKeys) {
            if (name.length() > 3) {
                if (lower.contains(name)) {
                    return true;
                }
            } else {
                if (words == null) {
                    words = WORD_BREAK
                            .splitAsStream(key)
                            .map(w -> w.toLowerCase(Locale.ROOT))
                            .toList();
                }
                if (words.contains(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String maskCards(String text) {
        Matcher run = DIGIT_RUN.matcher(text);
        StringBuilder out = new StringBuilder();
        int copied = 0;
        while (run.find()) {
            List<int[]> groups = new ArrayList<>();
            Matcher g = DIGITS.matcher(text).region(run.start(), run.end());
            while (g.find()) {
                groups.add(new int[] {g.start(), g.end()});
            }
            int i = 0;
            while (i < groups.size()) {
                int last = cardEnd(text, groups, i);
                if (last < 0) {
                    i++;
                    continue;
                }
                String digits =
                        text.substring(groups.get(i)[0], groups.get(last)[1]).replaceAll("\\D", "");
                out.append(text, copied, groups.get(i)[0])
                        .append("****-****-****-")
                        .append(digits.substring(digits.length() - 4));
                copied = groups.get(last)[1];
                i = last + 1;
            }
        }
        return copied == 0 ? text : out.append(text, copied, text.length()).toString();
    }

    /** The index of the last group of the longest card number starting at group {@code first}, or -1. */
    private static int cardEnd(String text, List<int[]> groups, int first) {
        StringBuilder digits = new StringBuilder();
        boolean grouped = true; // groups first to last - 1 have 3 to 6 digits and one kind of separator
        int found = -1;
        for (int last = first; last < groups.size() && digits.length() <= 19; last++) {
            int[] group = groups.get(last);
            int length = group[1] - group[0];
            boolean sameSeparator =
                    last == first || text.charAt(group[0] - 1) == text.charAt(groups.get(first + 1)[0] - 1);
            digits.append(text, group[0], group[1]);
            if (digits.length() >= 13
                    && digits.length() <= 19
                    && (first == last || grouped && sameSeparator && length <= 6)
                    && luhn(digits)) {
                found = last;
            }
            grouped &= sameSeparator && length >= 3 && length <= 6;
        }
        return found;
    }

    private static boolean luhn(CharSequence digits) {
        int sum = 0;
        for (int i = digits.length() - 1, n = 0; i >= 0; i--, n++) {
            int d = digits.charAt(i) - '0';
            if (n % 2 == 1) {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    private static String maskPhones(String text) {
        Matcher start = PHONE_START.matcher(text);
        Matcher part = PHONE_PART.matcher(text);
        StringBuilder out = new StringBuilder();
        int copied = 0;
        int from = 0;
        while (from < text.length() && start.find(from)) {
            int end = start.end();
            int digits = countDigits(start.group());
            part.region(end, text.length());
            while (part.lookingAt() && digits + countDigits(part.group()) <= 15) {
                digits += countDigits(part.group());
                end = part.end();
                part.region(end, text.length());
            }
            String phone = text.substring(start.start(), end);
            if (digits >= 7 && !DATE.matcher(phone).matches()) {
                String all = phone.replaceAll("\\D", "");
                out.append(text, copied, start.start()).append(MASK).append(all.substring(all.length() - 2));
                copied = end;
            }
            from = end;
        }
        return copied == 0 ? text : out.append(text, copied, text.length()).toString();
    }

    private static int countDigits(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            n += Character.isDigit(s.charAt(i)) ? 1 : 0;
        }
        return n;
    }

    /** Builds a {@link Redactor}. Not thread-safe. */
    public static final class Builder {
        private final List<String> keys = new ArrayList<>(DEFAULT_KEYS);
        private final List<Pattern> patterns = new ArrayList<>();

        private Builder() {}

        /**
         * Adds parameter names (matched case-insensitively; as part of a key, or as a whole word of it when
         * three letters or fewer) whose values are secrets.
         */
        public Builder secretKeys(Collection<String> names) {
            Objects.requireNonNull(names, "names").forEach(n -> keys.add(n.toLowerCase(Locale.ROOT)));
            return this;
        }

        /** Adds patterns whose matches anywhere in a value are replaced by {@code ***}. */
        public Builder valuePatterns(Collection<Pattern> valuePatterns) {
            Objects.requireNonNull(valuePatterns, "valuePatterns")
                    .forEach(p -> patterns.add(Objects.requireNonNull(p, "pattern")));
            return this;
        }

        public Redactor build() {
            return new Redactor(keys, patterns);
        }
    }
}
