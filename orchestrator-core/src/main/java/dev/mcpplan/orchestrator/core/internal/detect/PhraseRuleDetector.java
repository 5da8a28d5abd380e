package dev.mcpplan.orchestrator.core.internal.detect;

import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises actions by phrases in a step's text ("send email", "post to LinkedIn", ...), matched
 * case-insensitively on word boundaries with any run of spaces between words. When several phrases
 * match, the one that starts earliest in the text wins (then the longer phrase). Also extracts obvious
 * parameters the step does not give itself: an e-mail address becomes {@code to} for e-mail actions,
 * a phone number {@code to} for WhatsApp, and a vault path {@code path} for vault actions.
 *
 * <p>Two of them run: the user's configured {@code phrases} ({@link #configured}), asked before every
 * plugin detector, and the seed's default phrases ({@link #defaults}), asked after every plugin detector,
 * so that the user's configuration beats a plugin and a plugin beats the defaults. Immutable and
 * thread-safe.
 */
public final class PhraseRuleDetector implements ActionDetector {
    public static final String ID = "phrases";
    public static final String DEFAULTS_ID = "default-phrases";

    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    private static final Pattern PHONE = Pattern.compile("\\+?\\d[\\d ()-]{7,}\\d");
    private static final Pattern VAULT_PATH = Pattern.compile("(?<![\\w/])((?:[\\w.-]+/)*[\\w.-]+\\.md)\\b");

    private record Rule(Pattern pattern, String phrase, String action) {}

    private final List<Rule> rules = new ArrayList<>();
    private final String id;
    private final int priority;

    /** The user's phrases: asked after an explicit {@code action:} and before every plugin. */
    public static PhraseRuleDetector configured(Map<String, String> phrases) {
        return new PhraseRuleDetector(ID, Integer.MAX_VALUE - 1, phrases);
    }

    /** The seed's phrases: asked after every plugin. */
    public static PhraseRuleDetector defaults(Map<String, String> phrases) {
        return new PhraseRuleDetector(DEFAULTS_ID, Integer.MIN_VALUE, phrases);
    }

    /** @param phrases phrase to action type, in the order tried for equal positions */
    private PhraseRuleDetector(String id, int priority, Map<String, String> phrases) {
        this.id = id;
        this.priority = priority;
        new LinkedHashMap<>(phrases).forEach((phrase, action) -> {
            String[] words = phrase.trim().toLowerCase(Locale.ROOT).split("\\s+");
            StringBuilder regex = new StringBuilder("\\b");
            for (int i = 0; i < words.length; i++) {
                regex.append(i == 0 ? "" : "\\s+").append(Pattern.quote(words[i]));
            }
            regex.append("\\b");
            rules.add(new Rule(
                    Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE),
                    phrase,
                    action));
        });
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int priority() {
        return priority;
    }

    @Override
    public Optional<DetectedAction> detect(DetectionContext context) {
        String text = context.step().text();
        Rule best = null;
        int bestStart = Integer.MAX_VALUE;
        for (Rule rule : rules) {
            Matcher m = rule.pattern().matcher(text);
            if (m.find()
                    && (m.start() < bestStart
                            || m.start() == bestStart
                                    && rule.phrase().length() > best.phrase().length())) {
                best = rule;
                bestStart = m.start();
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        Map<String, Object> parameters = new LinkedHashMap<>(extract(best.action(), text));
        parameters.putAll(context.step().parameters());
        return Optional.of(new DetectedAction(best.action(), parameters));
    }

    private static Map<String, Object> extract(String action, String text) {
        Map<String, Object> found = new LinkedHashMap<>();
        if (action.contains("email")) {
            find(EMAIL, text).ifPresent(v -> found.put("to", v));
        } else if (action.contains("whatsapp")) {
            find(PHONE, text).ifPresent(v -> found.put("to", v.replaceAll("[ ()-]", "")));
        } else if (action.contains("vault")) {
            find(VAULT_PATH, text).ifPresent(v -> found.put("path", v));
        }
        return found;
    }

    private static Optional<String> find(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group(m.groupCount() > 0 ? 1 : 0)) : Optional.empty();
    }
}
