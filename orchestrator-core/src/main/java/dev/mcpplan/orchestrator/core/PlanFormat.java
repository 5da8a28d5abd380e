package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.core.internal.engine.Priority;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;

/**
 * The markdown plan format, for stores that keep plans elsewhere than in files: reading a plan's text,
 * and the Execution Log line a store records for each step.
 */
public final class PlanFormat {
    /** The largest plan text read, in bytes of UTF-8. */
    public static final int MAX_PLAN_BYTES = PlanParser.MAX_PLAN_BYTES;

    /** How long a plan waits in a queue to gain one level of priority. */
    public static final Duration PRIORITY_AGING = Priority.AGING;

    private PlanFormat() {}

    /**
     * The plan's level in a queue, from its front matter {@code priority}: 0 for {@code urgent}, 1
     * {@code high}, 2 {@code medium} (also a plan without one), 3 {@code low}, or the number it gives (0 to
     * 1000); lower runs first, and a plan gains a level each {@link #PRIORITY_AGING} it waits.
     *
     * @throws PlanFormatException if the priority is none of those
     */
    public static int priority(Plan plan) {
        Object value = plan.frontMatter().get(Priority.FIELD);
        return Priority.level(value)
                .orElseThrow(() -> new PlanFormatException(
                        plan.sourceName(),
                        0,
                        "priority " + value + " is none of urgent, high, medium, low or a number from 0 to 1000"));
    }

    /**
     * Reads a plan's markdown.
     *
     * @param name the plan's name in messages, and its {@link Plan#sourceName()}
     * @throws PlanFormatException naming the plan, the line and the problem
     */
    public static Plan parse(String name, String markdown) {
        Objects.requireNonNull(name, "name");
        return PlanParser.parse(name, markdown.getBytes(StandardCharsets.UTF_8), null);
    }

    /**
     * The Execution Log line of a step's result: when (to the second), the step, its action and route,
     * its status and duration, the message and a short form of the answer.
     */
    public static String logLine(Instant at, Step step, StepResult result) {
        return at.truncatedTo(ChronoUnit.SECONDS) + " step " + step.number() + " "
                + result.action().orElse("(internal)")
                + result.server()
                        .map(s -> " -> " + s + "/" + result.tool().orElse("?"))
                        .orElse("") + ": "
                + result.status().name().toLowerCase(Locale.ROOT) + " ("
                + result.duration().toMillis() + " ms)"
                + result.message().map(m -> ": " + m).orElse("")
                + result.summary().map(r -> " -> " + r).orElse("");
    }
}
