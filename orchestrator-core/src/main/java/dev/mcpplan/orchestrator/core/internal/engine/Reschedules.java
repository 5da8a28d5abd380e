package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bound on rescheduling: a plan goes back to the queue at most {@code maxReschedules} times and for
 * at most {@code rescheduleFor} after its first reschedule, counted in its front matter; then it fails.
 *
 * <p>Immutable and thread-safe.
 */
final class Reschedules {
    static final String COUNT_FIELD = "reschedules";
    static final String SINCE_FIELD = "rescheduled_since";

    private static final Logger LOG = LoggerFactory.getLogger(Reschedules.class);

    private final Settings settings;
    private final Clock clock;

    Reschedules(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * The result with the plan's reschedule count, and a plan that would go back to the queue once too
     * often ({@code maxReschedules}) or for too long ({@code rescheduleFor}) failed instead, with its
     * history.
     */
    PlanResult bounded(Plan plan, PlanResult.Builder result) {
        int before = reschedules(plan);
        Instant since = rescheduledSince(plan).orElse(null);
        PlanResult out = result.reschedules(before, since).build();
        if (out.status() != PlanStatus.RETRY_SCHEDULED) {
            return out;
        }
        Instant now = clock.instant();
        Instant first = since == null ? now : since;
        int count = before + 1;
        boolean tooOften = count > settings.maxReschedules();
        boolean tooLong = Duration.between(first, now).compareTo(settings.rescheduleFor()) > 0;
        if (!tooOften && !tooLong) {
            return out.toBuilder().reschedules(count, first).build();
        }
        String why = tooOften
                ? "it was rescheduled " + before + (before == 1 ? " time" : " times") + " (maxReschedules is "
                        + settings.maxReschedules() + ")"
                : "it has been rescheduled since " + first + " (" + before + " times; rescheduleFor is "
                        + settings.rescheduleFor() + ")";
        LOG.warn("plan {} failed: {}, and would be rescheduled again", plan.id(), why);
        return out.toBuilder()
                .status(PlanStatus.FAILED)
                .retryAfter(null)
                .error(
                        out.errorKind().orElse(null),
                        "gave up: " + why + "; the last attempt: " + out.error().orElse("failed"))
                .build();
    }

    /** How often the plan went back to the queue before, by its front matter {@code reschedules}. */
    private static int reschedules(Plan plan) {
        Object value = plan.frontMatter().get(COUNT_FIELD);
        try {
            return value == null
                    ? 0
                    : Math.max(0, Integer.parseInt(String.valueOf(value).strip()));
        } catch (NumberFormatException e) {
            LOG.warn("plan {}: {} is not a number ('{}'); counted as 0", plan.id(), COUNT_FIELD, value);
            return 0;
        }
    }

    private static Optional<Instant> rescheduledSince(Plan plan) {
        Object value = plan.frontMatter().get(SINCE_FIELD);
        try {
            return value == null
                    ? Optional.empty()
                    : Optional.of(Instant.parse(String.valueOf(value).strip()));
        } catch (DateTimeParseException e) {
            LOG.warn("plan {}: {} is not a time ('{}'); ignored", plan.id(), SINCE_FIELD, value);
            return Optional.empty();
        }
    }
}
