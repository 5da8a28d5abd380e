package dev.mcpplan.orchestrator.core.internal.config;

import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.TransportContext;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The orchestrator's settings: the actions table, the detector phrases, time-outs and retry defaults.
 * Every field has the seed's documented default (see {@link #defaults()}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param actions the configured action table (action type to route), asked before any plugin mapping;
 *     empty by default
 * @param phrases the configured detector phrases (phrase to action type, in the order tried), asked
 *     before any plugin detector; empty by default
 * @param requestTimeout the per-call time-out when a server sets none; 30 s by default
 * @param serverTimeouts per-server time-outs
 * @param retries retries after a transient failure; 3 by default
 * @param backoff the first retry's delay, doubling after; 2 s by default
 * @param healthInterval how often servers are pinged; 60 s by default
 * @param startTimeout how long a server may take to start and initialize; 60 s by default
 * @param redactKeys extra parameter names whose values are secrets
 * @param redactPatterns extra regular expressions for secret values anywhere in text
 * @param approval what an approval must carry
 * @param circuitFailures consecutive failures of a server that open its circuit breaker; 5 by default
 * @param circuitDelay how long an open circuit stays open before a probe call; 30 s by default
 * @param serverLimits per-server rate limits and concurrency limits
 * @param defaultActions the seed's action table, asked after every plugin mapping; empty when
 *     {@code replaceDefaultActions} is set
 * @param defaultPhrases the seed's phrases, asked after every plugin detector; empty when
 *     {@code replaceDefaultPhrases} is set
 * @param internalSteps what a step no detector recognises does to the plan; {@link InternalSteps#WARN}
 *     by default
 * @param maxReschedules how often a plan may go back to the queue before it fails; 10 by default
 * @param rescheduleFor how long after its first reschedule a plan may still be rescheduled; 24 h by default
 * @param vaultSettle how long a file in a vault's {@code Approved/} must stay unchanged before it is
 *     taken; 1 s by default
 * @param maxCallTime the longest one call may run however often it reports progress; {@code null} for
 *     the default, ten times the call's time-out
 * @param inheritEnv the host environment variables a started server inherits (names, or prefixes
 *     ending in {@code *}); by default {@link TransportContext#DEFAULT_INHERITED_ENVIRONMENT}
 * @param serverInheritEnv per-server replacements of {@code inheritEnv}
 * @param stepExecution sequential or parallel steps, and the bounds of parallel mode
 */
public record Settings(
        Map<String, Route> actions,
        Map<String, String> phrases,
        Duration requestTimeout,
        Map<String, Duration> serverTimeouts,
        int retries,
        Duration backoff,
        Duration healthInterval,
        Duration startTimeout,
        List<String> redactKeys,
        List<Pattern> redactPatterns,
        ApprovalPolicy approval,
        int circuitFailures,
        Duration circuitDelay,
        Map<String, ServerLimits> serverLimits,
        Map<String, Route> defaultActions,
        Map<String, String> defaultPhrases,
        InternalSteps internalSteps,
        int maxReschedules,
        Duration rescheduleFor,
        Duration vaultSettle,

        Duration maxCallTime,
        List<String> inheritEnv,
        Map<String, List<String>> serverInheritEnv,
        StepExecution stepExecution) {

    /** What a step that no detector recognises (an internal step) does to the plan. */
    public enum InternalSteps {
        /** Skipped, silently. */
        SKIP,
        /** Skipped, with a warning in the check report and the plan's result. */
        WARN,
        /** A problem: the plan fails in preflight, nothing runs. */
        FAIL
    }

    public Settings {
        actions = Collections.unmodifiableMap(new LinkedHashMap<>(actions));
        phrases = Collections.unmodifiableMap(new LinkedHashMap<>(phrases));
        serverTimeouts = Map.copyOf(serverTimeouts);
        redactKeys = List.copyOf(redactKeys);
        redactPatterns = List.copyOf(redactPatterns);
        serverLimits = Map.copyOf(serverLimits);
        defaultActions = Collections.unmodifiableMap(new LinkedHashMap<>(defaultActions));
        defaultPhrases = Collections.unmodifiableMap(new LinkedHashMap<>(defaultPhrases));
        Objects.requireNonNull(internalSteps, "internalSteps");
        Objects.requireNonNull(rescheduleFor, "rescheduleFor");
        inheritEnv = List.copyOf(inheritEnv);
        serverInheritEnv = Map.copyOf(serverInheritEnv);
        Objects.requireNonNull(stepExecution, "stepExecution");
    }

    /** The seed's defaults. */
    public static Settings defaults() {
        return new Settings(
                Map.of(),
                Map.of(),
                Duration.ofSeconds(30),
                Map.of(),
                3,
                Duration.ofSeconds(2),
                Duration.ofSeconds(60),
                Duration.ofSeconds(60),
                List.of(),
                List.of(),
                ApprovalPolicy.none(),
                5,
                Duration.ofSeconds(30),
                Map.of(),
                seedActions(),
                seedPhrases(),
                InternalSteps.WARN,
                10,
                Duration.ofHours(24),
                Duration.ofSeconds(1),
                null,
                TransportContext.DEFAULT_INHERITED_ENVIRONMENT,
                Map.of(),
                StepExecution.defaults());
    }

    /** The longest a call to a server with this per-call time-out may run, progress or not. */
    public Duration maxCallTimeFor(Duration requestTimeout) {
        return maxCallTime != null ? maxCallTime : requestTimeout.multipliedBy(10);
    }

    /** The host environment variables the named server inherits. */
    public List<String> inheritEnvFor(String server) {
        return serverInheritEnv.getOrDefault(server, inheritEnv);
    }

    /** The limits of the named server. */
    public ServerLimits limitsFor(String server) {
        return serverLimits.getOrDefault(server, ServerLimits.NONE);
    }

    /** The seed's actions table: the tool name is the action name. */
    public static Map<String, Route> seedActions() {
        Map<String, Route> table = new LinkedHashMap<>();
        route(table, "email-server", "send_email");
        route(table, "gmail-server", "read_gmail", "search_email");
        route(table, "linkedin-server", "post_linkedin", "read_linkedin");
        route(table, "whatsapp-server", "send_whatsapp", "read_whatsapp");
        route(table, "vault-watcher", "read_vault", "write_vault", "monitor_vault");
        route(table, "calendar-server", "calendar_event");
        route(table, "slack-server", "slack_message");
        return table;
    }

    private static void route(Map<String, Route> table, String server, String... actions) {
        for (String action : actions) {
            table.put(action, Route.to(server, action));
        }
    }

    /** The seed's detector phrases, most specific first. */
    public static Map<String, String> seedPhrases() {
        Map<String, String> phrases = new LinkedHashMap<>();
        phrases.put("send email", "send_email");
        phrases.put("email to", "send_email");
        phrases.put("reply to email", "send_email");
        phrases.put("read email", "read_gmail");
        phrases.put("check email", "read_gmail");
        phrases.put("search email", "search_email");
        phrases.put("post to linkedin", "post_linkedin");
        phrases.put("linkedin post", "post_linkedin");
        phrases.put("read linkedin", "read_linkedin");
        phrases.put("check linkedin", "read_linkedin");
        phrases.put("send whatsapp", "send_whatsapp");
        phrases.put("whatsapp message", "send_whatsapp");
        phrases.put("read whatsapp", "read_whatsapp");
        phrases.put("check whatsapp", "read_whatsapp");
        phrases.put("read from vault", "read_vault");
        phrases.put("check vault", "read_vault");
        phrases.put("write to vault", "write_vault");
        phrases.put("save to vault", "write_vault");
        phrases.put("monitor vault", "monitor_vault");
        phrases.put("add calendar event", "calendar_event");
        phrases.put("add to calendar", "calendar_event");
        phrases.put("send slack message", "slack_message");
        phrases.put("post to slack", "slack_message");
        phrases.put("slack message", "slack_message");
        return phrases;
    }
}
