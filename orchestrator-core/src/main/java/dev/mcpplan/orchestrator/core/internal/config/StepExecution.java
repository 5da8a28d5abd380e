package dev.mcpplan.orchestrator.core.internal.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How plans and their steps run: the steps of a plan one after another (the default), or as the graph
 * of their {@code depends_on}, several at once; and how many plans at once.
 *
 * @param parallel whether plans that do not say run their steps in parallel ({@code "execution"})
 * @param perPlan at most this many steps of one plan at once in parallel mode ({@code "maxParallelSteps"})
 * @param overall at most this many steps of all plans at once in parallel mode ({@code "maxConcurrentSteps"})
 * @param plans at most this many plans at once, from the queue ({@code "maxConcurrentPlans"})
 */
public record StepExecution(boolean parallel, int perPlan, int overall, int plans) {
    /** The front matter field a plan chooses its mode with. */
    public static final String FIELD = "execution";

    public StepExecution {
        if (perPlan < 1 || overall < 1 || plans < 1) {
            throw new IllegalArgumentException(
                    "maxParallelSteps, maxConcurrentSteps and maxConcurrentPlans must be 1 or more");
        }
    }

    /** Sequential; in parallel mode at most 4 steps of a plan and 16 in all at once; 2 plans at once. */
    public static StepExecution defaults() {
        return new StepExecution(false, 4, 16, 2);
    }

    /** Whether {@code word} is parallel ({@code "parallel"}) or sequential ({@code "sequential"}); empty for anything else. */
    public static Optional<Boolean> parallel(String word) {
        return switch (word.strip().toLowerCase(Locale.ROOT)) {
            case "parallel" -> Optional.of(true);
            case "sequential" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /**
     * Whether a plan with this front matter runs its steps in parallel: its own {@code execution}
     * wins over the setting.
     *
     * @throws IllegalArgumentException if the plan's word is neither
     */
    public boolean parallelFor(Map<String, Object> frontMatter) {
        Object word = frontMatter.get(FIELD);
        if (word == null) {
            return parallel;
        }
        return parallel(String.valueOf(word))
                .orElseThrow(() -> new IllegalArgumentException(
                        "execution must be \"parallel\" or \"sequential\", not '" + word + "'"));
    }
}
