package dev.mcpplan.orchestrator.core.internal.audit;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from parameters and text before they reach a log, an audit line or a report. Map keys
 * stay; values are masked:
 * <ul>
 *   <li>configured secret values ({@link Builder#configuredValues}) wherever they appear;
 *   <li>values under secret-looking keys become {@code ***}, in maps and in text ({@code password=x},
 *       {@code "api_key": "x"}, {@code Authorization: Basic x});
 *   <li>bearer tokens, private keys, JWTs, the well-known token shapes (GitHub {@code ghp_ gho_ ghu_ ghs_ ghr_
 *       github_pat_}, GitLab {@code glpat-}, OpenAI and Anthropic {@code sk-}, Stripe {@code sk_live_ rk_live_},
 *       Slack {@code xoxb- xoxp- xapp-}, AWS {@code AKIA ASIA}, Google {@code AIza}, npm {@code npm_}, Hugging Face
 *       {@code hf_}, Shopify, PyPI, DigitalOcean, SendGrid {@code SG.}, Twilio {@code SK AC}) and any configured
 *       pattern become {@code ***};
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
    /**
     * Well-known token shapes, each by its documented prefix. A prefix is not preceded by a letter or digit
     * (an underscore or dash may stand before it, as in {@code token_ghp_...}), so that it is not matched
     * inside a longer word.
     */
    private static final List<Pattern> SECRET_VALUES = List.of(
            Pattern.compile("(?i)bearer\\s+[A-Za-z0-9._~+/=-]+"),
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
            // GitHub: classic, OAuth, user-to-server, server-to-server, refresh; fine-grained
            token("gh[pousr]_[A-Za-z0-9]{30,}"),
            token("github_pat_[A-Za-z0-9_]{30,}"),
            // GitLab personal, deploy and runner tokens
            token("gl(?:pat|dt|rt)-[A-Za-z0-9_-]{20,}"),
            // OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...), Stripe (sk_live_..., pk_test_...), generic
            token("(?:sk|pk)[-_][A-Za-z0-9_-]{6,}"),
            token("(?:rk|whsec)_(?:live_|test_)?[A-Za-z0-9]{10,}"),
            // Slack bot, user, app-level, refresh and configuration tokens
            token("(?:xox[abposre]|xapp)-[A-Za-z0-9-]{8,}"),
            // AWS access key ids, long-term and temporary
            token("(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[0-9A-Z]{12,}"),
            // Google API keys
            token("AIza[0-9A-Za-z_-]{30,}"),
            // npm, Hugging Face, Shopify, PyPI, DigitalOcean
            token("npm_[A-Za-z0-9]{30,}"),
            token("hf_[A-Za-z0-9]{30,}"),
            token("shp(?:at|ss|ca|pa)_[A-Fa-f0-9]{32,}"),
            token("pypi-[A-Za-z0-9_-]{50,}"),
            token("do[por]_v1_[a-f0-9]{64}"),
            // SendGrid; Twilio API key and account ids
            token("SG\\.[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}"),
            token("(?:SK|AC)[0-9a-fA-F]{32}"),
            // JSON Web Tokens
            token("eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*"));

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

    /** Configured values that are too plain to be secrets under a name that does not say so. */
    private static final Pattern PLAIN_VALUE = Pattern.compile("(?i)[-+]?\\d+(?:\\.\\d+)?|true|false|yes|no|on|off"
            + "|[A-Za-z.-]+" // words, host names: production, smtp.example.com, en-US
            + "|(?:/|\\./|\\.\\./|~/|[A-Za-z]:\\\\)\\S*" // paths
            + "|[a-z][a-z0-9+.-]*://[^@/\\s]*(?:/\\S*)?"); // URLs without credentials

    private static final Pattern AUTH_SCHEME = Pattern.compile("(?i)(?:basic|bearer|digest|token)\\s+(\\S{4,})");
    /** The shortest configured value treated as a secret. */
    static final int MIN_SECRET_LENGTH = 4;
    /** The shortest configured value treated as a secret under a name that does not say it is one. */
    static final int MIN_UNNAMED_SECRET_LENGTH = 8;

    private final List<String> secretKeys;
    private final List<Pattern> valuePatterns;
    /** Literal secret values, longest first, so that a secret containing another is masked whole. */
    private final List<String> literals;

    private Redactor(List<String> secretKeys, List<Pattern> valuePatterns, Map<String, List<String>> configured) {
        this.secretKeys = List.copyOf(secretKeys);
        this.valuePatterns = List.copyOf(valuePatterns);
        Set<String> values = new HashSet<>();
        configured.forEach((name, list) -> list.forEach(v -> values.addAll(secretParts(name, v))));
        this.literals = values.stream()
                .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()))
                .toList();
    }

    /**
     * The parts of a configured value that are secrets: the value (trimmed) when its name looks like a secret
     * and it has at least {@value #MIN_SECRET_LENGTH} characters, or whatever its name when it has at least
     * {@value #MIN_UNNAMED_SECRET_LENGTH} and is not a number, a boolean, a word or host name, a path or a URL
     * without credentials; and the credential after an auth scheme word ({@code Bearer x}), which a server
     * may echo alone.
     */
    private List<String> secretParts(String name, String value) {
        String v = value.strip();
        boolean secret = secretKey(name)
                ? v.length() >= MIN_SECRET_LENGTH
                : v.length() >= MIN_UNNAMED_SECRET_LENGTH
                        && !PLAIN_VALUE.matcher(v).matches();
        if (!secret) {
            return List.of();
        }
        Matcher scheme = AUTH_SCHEME.matcher(v);
        return scheme.matches() ? List.of(v, scheme.group(1)) : List.of(v);
    }

    /**
     * A token shape whose prefix does not continue a word: not after a letter or digit ({@code _} and {@code -}
     * may stand before it, as in {@code token_ghp_...}).
     */
    private static Pattern token(String shape) {
        return Pattern.compile("(?<![A-Za-z0-9])" + shape);
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
        for (String literal : literals) {
            out = out.replace(literal, MASK);
        }
        out = keyValues(out);
        // addresses before token shapes: an address whose local part looks like a token ("pk_aaaaaa@x.com")
        // keeps no domain in clear
        out = EMAIL.matcher(out).replaceAll(r -> Matcher.quoteReplacement(r.group(1) + "***@***." + r.group(2)));
        for (Pattern p : SECRET_VALUES) {
            out = p.matcher(out).replaceAll(MASK);
        }
        for (Pattern p : valuePatterns) {
            out = p.matcher(out).replaceAll(MASK);
        }
        return maskPhones(maskCards(out));
    }

    /**
     * What a failure says, with each of its causes (an {@code UncheckedIOException}'s message rarely
     * names the system's reason, its cause does), every secret-looking value masked.
     */
    public String redact(Throwable failure) {
        StringBuilder s = new StringBuilder(failure.toString());
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(failure);
        for (Throwable c = failure.getCause(); c != null && seen.add(c); c = c.getCause()) {
            s.append(" (caused by ").append(c).append(')');
        }
        return redact(s.toString());
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
        private final Map<String, List<String>> configured = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Adds configured values, by name (a server's {@code env} and {@code headers} after {@code ${VAR}}
         * expansion, a signing key), that are secrets wherever they show: a value is one when its name looks
         * like a secret key and it has at least 4 characters, or, whatever its name, when it has at least 8
         * and is not a number, a boolean, a word or host name ({@code production}, {@code smtp.example.com}),
         * a path or a URL without credentials. After an auth scheme word ({@code Bearer x}) the credential
         * alone counts too.
         */
        public Builder configuredValues(Map<String, String> values) {
            Objects.requireNonNull(values, "values")
                    .forEach((k, v) -> configured
                            .computeIfAbsent(Objects.requireNonNull(k, "name"), n -> new ArrayList<>())
                            .add(Objects.requireNonNull(v, "value")));
            return this;
        }

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
            return new Redactor(keys, patterns, configured);
        }
    }
}
