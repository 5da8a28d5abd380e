package dev.mcpplan.orchestrator.core.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.testing.SecretShapes;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.SubstituteLogger;
import tools.jackson.databind.json.JsonMapper;

/**
 * A generated secret (under a secret key, of a well-known token shape, a card or phone number, an e-mail
 * address), hidden anywhere in generated parameters, never reaches the redacted JSON, the JSONL
 * audit line or the SLF4J line.
 */
class RedactorPropertiesTest {
    private static final List<String> SECRET_KEYS = List.of(
            "password",
            "api_key",
            "Authorization",
            "db_password",
            "accessToken",
            "client_secret",
            "x-api-key",
            "session_id",
            "cvv",
            "pin",
            "Cookie");
    private static final List<String> PLAIN_KEYS =
            List.of("note", "items", "count", "path", "title", "tags", "owner", "when", "comment", "contact");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Redactor redactor = Redactor.defaults();

    /**
     * A secret: {@code value} goes under {@code key} (a secret key when {@code keyed}); none of {@code forbidden}
     * may show after redaction, and {@code mask} must.
     */
    record Secret(String key, String value, boolean keyed, List<String> forbidden, String mask) {}

    /** Parameters with one secret somewhere in them. */
    record Case(Secret secret, Map<String, Object> parameters) {}

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<Map<String, Object>> roots =
                Arbitraries.maps(Arbitraries.of(PLAIN_KEYS), tree(3)).ofMaxSize(4);
        Arbitrary<List<Integer>> routes =
                Arbitraries.integers().between(0, 1000).list().ofMaxSize(4);
        Arbitrary<Secret> secrets = Arbitraries.oneOf(tokens(), shaped(), cards(), phones(), emails());
        Arbitrary<Integer> positions = Arbitraries.integers().between(0, 1000);
        return Combinators.combine(secrets, roots, routes, positions)
                .as((secret, root, route, position) -> new Case(secret, place(secret, root, route, position)));
    }

    @Provide
    Arbitrary<Map<String, Object>> harmless() {
        return Arbitraries.maps(Arbitraries.of(PLAIN_KEYS), tree(3)).ofMaxSize(4);
    }

    private static Arbitrary<Object> tree(int depth) {
        Arbitrary<Object> leaf = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
                Arbitraries.integers().between(0, 999),
                Arbitraries.of(
                        "2026-03-02",
                        "14:15:30",
                        "2026-03-02T14:15:30Z",
                        "20260216-141530",
                        "port 8080",
                        "v1.2.3",
                        "02.03.2026",
                        "retry 3 of 5",
                        "10.0.0.1"));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<Object> child = tree(depth - 1);
        return Arbitraries.frequencyOf(
                Tuple.of(2, leaf),
                Tuple.of(
                        1,
                        Arbitraries.maps(Arbitraries.of(PLAIN_KEYS), child)
                                .ofMaxSize(3)
                                .map(m -> (Object) m)),
                Tuple.of(1, child.list().ofMaxSize(3).map(l -> (Object) l)));
    }

    private static Arbitrary<Secret> tokens() {
        return Combinators.combine(
                        Arbitraries.of(SECRET_KEYS),
                        Arbitraries.strings()
                                .alpha()
                                .numeric()
                                .ofMinLength(12)
                                .ofMaxLength(40)
                                // not "000000000000", which is part of every first prev_hash
                                .filter(t -> t.chars().distinct().count() >= 4))
                .as((key, token) -> new Secret(key, token, true, List.of(token), "***"));
    }

    /** A token of a well-known shape, under a key that says nothing, in a sentence or alone. */
    private static Arbitrary<Secret> shaped() {
        Arbitrary<String> contexts = Arbitraries.of(
                "%s", "use %s next time", "the key was '%s'.", "token_%s", "[%s]", "key=%s;", "\"%s\"", "(%s)");
        return Combinators.combine(SecretShapes.any(), contexts, Arbitraries.of(PLAIN_KEYS))
                .as((token, context, key) -> new Secret(key, context.formatted(token), false, List.of(token), "***"));
    }

    private static Arbitrary<Secret> cards() {
        Arbitrary<String> prefixes = Arbitraries.of("4", "51", "55", "2221", "34", "37", "6011", "65");
        Arbitrary<Integer> lengths = Arbitraries.integers().between(13, 19);
        Arbitrary<String> fillers = Arbitraries.strings().numeric().ofLength(19);
        Arbitrary<String> separators = Arbitraries.of("", " ", "-");
        Arbitrary<String> contexts = Arbitraries.of("%s", "paid with %s yesterday", "card: %s", "[%s]");
        return Combinators.combine(prefixes, lengths, fillers, separators, contexts, Arbitraries.of(PLAIN_KEYS))
                .as((prefix, length, filler, separator, context, key) -> {
                    String digits = withCheckDigit((prefix + filler).substring(0, length - 1));
                    String shown = String.join(separator, digits.split("(?<=\\G\\d{4})"));
                    return new Secret(
                            key,
                            context.formatted(shown),
                            false,
                            List.of(shown, digits),
                            "****-****-****-" + digits.substring(length - 4));
                });
    }

    private static Arbitrary<Secret> phones() {
        Arbitrary<Integer> countries = Arbitraries.integers().between(1, 999);
        Arbitrary<String> areas =
                Arbitraries.strings().numeric().ofMinLength(2).ofMaxLength(4).filter(a -> a.charAt(0) != '0');
        Arbitrary<String> subscribers =
                Arbitraries.strings().numeric().ofMinLength(5).ofMaxLength(8);
        Arbitrary<String> formats = Arbitraries.of(
                "+%1$d %2$s %3$s",
                "+%1$d (%2$s) %4$s-%5$s", "+%1$d%2$s%3$s", "0%2$s/%3$s", "0%2$s %3$s", "(%2$s) %4$s-%5$s");
        Arbitrary<String> contexts = Arbitraries.of("%s", "call %s today", "tel: %s");
        return Combinators.combine(countries, areas, subscribers, formats, contexts, Arbitraries.of(PLAIN_KEYS))
                .as((country, area, subscriber, format, context, key) -> {
                    String shown = format.formatted(
                            country, area, subscriber, subscriber.substring(0, 3), subscriber.substring(3));
                    String digits = shown.replaceAll("\\D", "");
                    return new Secret(
                            key,
                            context.formatted(shown),
                            false,
                            List.of(shown, digits),
                            "***" + digits.substring(digits.length() - 2));
                });
    }

    private static Arbitrary<Secret> emails() {
        Arbitrary<String> locals = Arbitraries.strings()
                .withCharRange('a', 'z')
                .ofMinLength(1)
                .ofMaxLength(1)
                .flatMap(first -> Arbitraries.strings()
                        .withCharRange('a', 'z')
                        .numeric()
                        .withChars('.', '_')
                        .ofMinLength(2)
                        .ofMaxLength(12)
                        .map(rest -> first + rest));
        Arbitrary<String> domains =
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(3).ofMaxLength(10);
        Arbitrary<String> tlds = Arbitraries.of("com", "de", "org", "io", "net");
        return Combinators.combine(locals, domains, tlds, Arbitraries.of(PLAIN_KEYS))
                .as((local, domain, tld, key) -> {
                    String email = local + "@" + domain + "." + tld;
                    return new Secret(
                            key, "reply to " + email, false, List.of(email), local.charAt(0) + "***@***." + tld);
                });
    }

    @Property(tries = 300)
    void noSecretReachesTheRedactedParameters(@ForAll("cases") Case c) {
        String json = JSON.writeValueAsString(redactor.redact(c.parameters()));
        assertThat(json)
                .doesNotContain(c.secret().forbidden())
                .contains(c.secret().mask());
    }

    @Property(tries = 300)
    void noSecretReachesTheJsonlLine(@ForAll("cases") Case c) throws IOException {
        Path logs = Files.createTempDirectory("audit-property");
        try {
            new JsonlAuditSink(logs, redactor).record(record(c));
            Path file = logs.resolve("2026-03-02.jsonl");
            String line = Files.readString(file, StandardCharsets.UTF_8);
            Files.delete(file);
            assertThat(line)
                    .doesNotContain(c.secret().forbidden())
                    .contains(c.secret().mask());
        } finally {
            Files.delete(logs);
        }
    }

    @Property(tries = 300)
    void noSecretReachesTheSlf4jLine(@ForAll("cases") Case c) {
        Queue<SubstituteLoggingEvent> events = new ArrayDeque<>();
        EventRecordingLogger log =
                new EventRecordingLogger(new SubstituteLogger("mcp.orchestrator", events, false), events);
        new Slf4jAuditSink(redactor, log).record(record(c));
        assertThat(events).hasSize(1);
        assertThat(events.peek().getMessage())
                .doesNotContain(c.secret().forbidden())
                .contains(c.secret().mask());
    }

    @Property(tries = 300)
    void harmlessParametersComeBackUnchanged(@ForAll("harmless") Map<String, Object> parameters) {
        assertThat(redactor.redact(parameters)).isEqualTo(parameters);
        String text = JSON.writeValueAsString(parameters);
        assertThat(redactor.redact(text)).isEqualTo(text);
    }

    /** A failed tool call whose error message echoes the arguments, as servers' messages often do. */
    private static AuditRecord record(Case c) {
        String message = "arguments were " + JSON.writeValueAsString(c.parameters());
        return new AuditRecord(
                Instant.parse("2026-03-02T10:15:30Z"),
                "tool_call",
                "20260216-141530",
                null,
                1,
                "send",
                "mail",
                "send_email",
                c.parameters(),
                "failed",
                ErrorKind.TOOL_ERROR,
                message,
                12,
                1,
                null,
                null);
    }

    /** The parameters with the secret put into the container that {@code route} leads to. */
    private static Map<String, Object> place(
            Secret secret, Map<String, Object> root, List<Integer> route, int position) {
        Map<String, Object> copy = copyMap(root);
        Object at = copy;
        for (int step : route) {
            List<Object> containers = containersIn(at);
            if (containers.isEmpty()) {
                break;
            }
            at = containers.get(step % containers.size());
        }
        Object value = secret.value();
        if (at instanceof Map<?, ?> map) {
            @SuppressWarnings("unchecked")
            Map<String, Object> target = (Map<String, Object>) map;
            target.put(secret.key(), value);
        } else {
            @SuppressWarnings("unchecked")
            List<Object> target = (List<Object>) at;
            target.add(position % (target.size() + 1), secret.keyed() ? Map.of(secret.key(), value) : value);
        }
        return copy;
    }

    private static List<Object> containersIn(Object container) {
        Iterable<?> children = container instanceof Map<?, ?> map ? map.values() : (List<?>) container;
        List<Object> containers = new ArrayList<>();
        children.forEach(child -> {
            if (child instanceof Map<?, ?> || child instanceof List<?>) {
                containers.add(child);
            }
        });
        return containers;
    }

    private static Map<String, Object> copyMap(Map<?, ?> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put((String) k, copyValue(v)));
        return copy;
    }

    private static Object copyValue(Object value) {
        if (value instanceof Map<?, ?> map) {
            return copyMap(map);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(copyValue(v)));
            return copy;
        }
        return value;
    }

    private static String withCheckDigit(String partial) {
        for (char d = '0'; d <= '9'; d++) {
            if (luhnValid(partial + d)) {
                return partial + d;
            }
        }
        throw new AssertionError("some digit always completes a Luhn number");
    }

    private static boolean luhnValid(String digits) {
        int sum = 0;
        boolean doubled = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (doubled) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }
}
