package dev.mcpplan.orchestrator.core.testing;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** Generated secrets of every well-known token shape the redactor knows, for property tests. */
public final class SecretShapes {
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String URL_SAFE = ALNUM + "_-";
    private static final String HEX = "0123456789abcdef";
    private static final String UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    private SecretShapes() {}

    /** Each shape by name, as a prefix and a body made of the given characters. */
    private static Map<String, Arbitrary<String>> shapes() {
        Map<String, Arbitrary<String>> shapes = new LinkedHashMap<>();
        shapes.put("github classic", body("ghp_", ALNUM, 36));
        shapes.put("github oauth", body("gho_", ALNUM, 36));
        shapes.put("github server", body("ghs_", ALNUM, 36));
        shapes.put(
                "github fine-grained",
                Combinators.combine(chars(ALNUM, 22), chars(ALNUM, 59)).as((a, b) -> "github_pat_" + a + "_" + b));
        shapes.put("gitlab", body("glpat-", URL_SAFE, 20));
        shapes.put("google", body("AIza", URL_SAFE, 35));
        shapes.put(
                "slack bot",
                Combinators.combine(chars("0123456789", 12), chars("0123456789", 13), chars(ALNUM, 24))
                        .as((a, b, c) -> "xoxb-" + a + "-" + b + "-" + c));
        shapes.put("slack user", body("xoxp-", ALNUM, 40));
        shapes.put("aws long-term", body("AKIA", UPPER_ALNUM, 16));
        shapes.put("aws temporary", body("ASIA", UPPER_ALNUM, 16));
        shapes.put("stripe secret", body("sk_live_", ALNUM, 24));
        shapes.put("stripe restricted", body("rk_live_", ALNUM, 24));
        shapes.put("openai", body("sk-", ALNUM, 48));
        shapes.put("openai project", body("sk-proj-", URL_SAFE, 56));
        shapes.put("anthropic", body("sk-ant-api03-", URL_SAFE, 93));
        shapes.put("npm", body("npm_", ALNUM, 36));
        shapes.put(
                "sendgrid",
                Combinators.combine(chars(URL_SAFE, 22), chars(URL_SAFE, 43)).as((a, b) -> "SG." + a + "." + b));
        shapes.put("twilio api key", body("SK", HEX, 32));
        shapes.put("hugging face", body("hf_", ALNUM, 34));
        shapes.put(
                "jwt",
                Combinators.combine(chars(URL_SAFE, 20), chars(URL_SAFE, 30), chars(URL_SAFE, 43))
                        .as((a, b, c) -> "eyJ" + a + ".eyJ" + b + "." + c));
        return shapes;
    }

    /** The names of the shapes, in a fixed order. */
    public static List<String> names() {
        return List.copyOf(shapes().keySet());
    }

    /** A secret of the named shape. */
    public static Arbitrary<String> of(String name) {
        return shapes().get(name);
    }

    /** A secret of any shape, every shape as likely. */
    public static Arbitrary<String> any() {
        return Arbitraries.of(names()).flatMap(SecretShapes::of);
    }

    /** One secret of every shape, in the order of {@link #names()}. */
    public static Arbitrary<List<String>> oneOfEach() {
        return Combinators.combine(shapes().values().stream().toList()).as(List::copyOf);
    }

    /**
     * A configured secret with no shape of its own, such as a password: letters and digits, at least 12 of
     * them and 4 different ones (so that it is not a run such as the zeros every first {@code prev_hash} has),
     * letters and digits both (a value of letters alone counts as a plain word when its name does not say it is
     * a secret).
     */
    public static Arbitrary<String> literal() {
        return Arbitraries.strings()
                .withChars(ALNUM)
                .ofMinLength(12)
                .ofMaxLength(24)
                .filter(s -> s.chars().distinct().count() >= 4
                        && s.chars().anyMatch(Character::isDigit)
                        && s.chars().anyMatch(Character::isLetter));
    }

    private static Arbitrary<String> body(String prefix, String alphabet, int length) {
        return chars(alphabet, length).map(b -> prefix + b);
    }

    private static Arbitrary<String> chars(String alphabet, int length) {
        return Arbitraries.strings().withChars(alphabet).ofLength(length);
    }
}
