package dev.mcpplan.orchestrator.core.internal.engine;

import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.ExecutionContext;
import dev.failsafe.Failsafe;
import dev.failsafe.RateLimitExceededException;
import dev.failsafe.RetryPolicy;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerConnection;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerPool;
import dev.mcpplan.orchestrator.spi.Classification;
import dev.mcpplan.orchestrator.spi.PlanTakenOverException;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import dev.mcpplan.orchestrator.spi.Route;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls one step's tool through Failsafe: retries with exponential backoff and jitter where a retry is
 * safe, inside the server's circuit breaker, rate limit, bulkhead and time-out guard; and decides what
 * the outcome means for the plan.
 *
 * <p>A retry is safe when the request never left (the server could not start, its circuit was open,
 * the transport said so), or when the tool is idempotent or read-only. Any other call that may have
 * reached the server and then timed out or lost its connection ends as outcome unknown: a person must
 * check. Thread-safe.
 */
final class StepCaller {
    private static final Logger LOG = LoggerFactory.getLogger(StepCaller.class);
    /** What the plan does after a step that did not succeed. */
    enum Next {
        /** The step succeeded: go on. */
        CONTINUE,
        /** Stop; the plan failed. */
        FAIL,
        /** Stop; the plan goes back to the queue until {@link Outcome#retryAt()}. */
        RESCHEDULE,
        /** Stop; a person must check whether the step happened. */
        REVIEW
    }

    /** A step's result and what it means for the plan. */
    record Outcome(StepResult result, Next next, Optional<Instant> retryAt, boolean alert) {}

    /** Everything a step's call reports while it runs. */
    interface Recorder {
        /** Before each attempt: the request is about to be sent; whether the tool may be called again. */
        void attemptStarted(int attempt, boolean safeToRepeat);

        /** After each attempt, with its own result. */
        void attemptFinished(StepResult attempt);

        /** While an attempt runs, when the tool reports progress (on a transport thread). */
        void progress(McpSchema.ProgressNotification progress);
    }

    /** How servers answer a request whose idempotency key they have seen: "Duplicate request ...". */
    private static final Pattern DUPLICATE = Pattern.compile("(?i)\\s*duplicate\\b");

    private final ServerPool servers;
    private final ServerGuards guards;
    private final ErrorClassifiers classifiers;
    private final Settings settings;
    private final Clock clock;

    StepCaller(ServerPool servers, ErrorClassifiers classifiers, Settings settings, Clock clock) {
        this.servers = servers;
        this.guards = new ServerGuards(settings, classifiers);
        this.classifiers = classifiers;
        this.settings = settings;
        this.clock = clock;
    }

    /** The outcome of one attempt, kept so that the final decision knows what happened last. */
    private static final class LastAttempt {
        final StepResult template;
        final Recorder recorder;
        /** The instance of the last attempt. */
        ServerConnection target;

        Classification classification;
        boolean maybeSent;
        int attempts;
        Throwable error;

        LastAttempt(StepResult template, Recorder recorder) {
            this.template = template;
            this.recorder = recorder;
        }
    }

    Outcome call(Plan plan, StepPlan s, Recorder recorder) {
        Step step = s.step();
        Route route = s.route().orElseThrow();
        String action = s.action().orElseThrow().type();
        List<ServerConnection> candidates = route.servers().stream()
                .flatMap(server -> servers.instances(server).stream())
                .toList();
        LastAttempt last = new LastAttempt(
                StepResult.builder(step.number(), StepStatus.FAILED)
                        .action(action)
                        .route(route.server(), route.tool())
                        .build(),
                recorder);
        RetryPolicy<Object> retry = RetryPolicy.builder()
                .handleIf((result, error) -> {
                    if (error instanceof PlanTakenOverException) {
                        return false;
                    }
                    if (error != null) {
                        classify(last, route, error, false);
                    } else if (!(result instanceof McpSchema.CallToolResult r) || !Boolean.TRUE.equals(r.isError())) {
                        return false;
                    }
                    return retryable(last.classification.kind(), last.maybeSent, last.target, route);
                })
                .withBackoff(
                        settings.backoff(),
                        // Failsafe needs the longest delay above the first, also when there are no retries
                        settings.backoff().multipliedBy(1L << Math.max(1, Math.min(settings.retries(), 20))),
                        2.0)
                .withJitter(0.25)
                .withMaxRetries(settings.retries())
                .build();
        long start = System.nanoTime();
        McpSchema.CallToolResult answer = null;
        try {
            answer = (McpSchema.CallToolResult)
                    Failsafe.with(retry).get(ctx -> attempt(plan, s, candidates, route, action, ctx, last, recorder));
        } catch (PlanTakenOverException e) {
            throw e; // the plan is another process's now: nothing of this attempt is recorded here
        } catch (RuntimeException e) {
            classify(last, route, e, false);
        }
        ServerConnection target = last.target != null ? last.target : candidates.get(0);
        StepResult.Builder result = StepResult.builder(step.number(), StepStatus.SUCCEEDED)
                .action(action)
                .route(target.name(), route.tool())
                .attempts(Math.max(1, last.attempts))
                .duration(Duration.ofNanos(System.nanoTime() - start));
        if (answer != null && !Boolean.TRUE.equals(answer.isError())) {
            return new Outcome(answered(result, answer).build(), Next.CONTINUE, Optional.empty(), false);
        }
        return decide(step, route, candidates, target, last, result);
    }

    /**
     * A step whose request may have reached the server in a run that was interrupted: empty when it is
     * safe to repeat (idempotent or read-only), else outcome unknown.
     */
    Optional<Outcome> interrupted(StepPlan s) {
        Route route = s.route().orElseThrow();
        if (safeToRepeat(servers.connection(route.server()), route)) {
            return Optional.empty();
        }
        StepResult result = StepResult.builder(s.step().number(), StepStatus.OUTCOME_UNKNOWN)
                .action(s.action().orElseThrow().type())
                .route(route.server(), route.tool())
                .error(
                        ErrorKind.UNAVAILABLE,
                        "outcome unknown: the run was interrupted after step "
                                + s.step().number() + " (" + route.server() + "/" + route.tool()
                                + ") was sent, and the tool is"
                                + " not idempotent, so it is not repeated; a person must check whether it happened")
                .build();
        return Optional.of(new Outcome(result, Next.REVIEW, Optional.empty(), false));
    }

    private McpSchema.CallToolResult attempt(
            Plan plan,
            StepPlan s,
            List<ServerConnection> candidates,
            Route route,
            String action,
            ExecutionContext<Object> ctx,
            LastAttempt last,
            Recorder recorder) {
        int attempt = ctx.getAttemptCount() + 1;
        // a request that may have reached an instance is sent again only to it, whose idempotency
        // key dedupes it; one that never left may go to any
        List<ServerConnection> untried =
                new ArrayList<>(last.target != null && last.maybeSent ? List.of(last.target) : candidates);
        last.attempts = attempt;
        last.classification = null;
        last.maybeSent = false;
        last.error = null;
        recorder.attemptStarted(attempt, safeToRepeat(untried.get(0), route));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put(Engine.IDEMPOTENCY_KEY, plan.id() + ":step-" + s.step().number());
        meta.put(Engine.ATTEMPT_KEY, attempt);
        StepResult.Builder done = StepResult.builder(s.step().number(), StepStatus.SUCCEEDED)
                .action(action)
                .attempts(attempt);
        long start = System.nanoTime();
        ServerConnection connection = untried.get(0);
        try {
            McpSchema.CallToolResult answer;
            while (true) {
                connection = guards.choose(untried);
                untried.remove(connection);
                last.target = connection;
                done.route(connection.name(), route.tool());
                ServerConnection target = connection;
                try {
                    answer = guards.call(
                            target, () -> target.call(route.tool(), s.arguments(), meta, recorder::progress));
                    break;
                } catch (RuntimeException e) {
                    if (maybeSent(e) || untried.isEmpty()) {
                        throw e;
                    }
                    LOG.info(
                            "step {} of plan {}: not sent to '{}' ({}); trying another",
                            s.step().number(),
                            plan.id(),
                            target.name(),
                            ErrorClassifiers.messageOf(e));
                } finally {
                    target.callEnded();
                }
            }
            if (Boolean.TRUE.equals(answer.isError())) {
                String text = text(answer);
                last.classification =
                        classifiers.classify(ErrorClassifiers.failure(route.server(), route.tool(), answer, text));
                last.maybeSent = true;
                recorder.attemptFinished(answered(done, answer)
                        .status(attemptStatus(last, connection, route))
                        .error(last.classification.kind(), last.classification.message())
                        .duration(Duration.ofNanos(System.nanoTime() - start))
                        .build());
                return answer;
            }
            connection.succeeded();
            recorder.attemptFinished(answered(done, answer)
                    .duration(Duration.ofNanos(System.nanoTime() - start))
                    .build());
            return answer;
        } catch (RuntimeException e) {
            classify(last, route, e, true);
            if (last.classification.kind() == ErrorKind.UNAVAILABLE && !notCalled(e)) {
                connection.reset(); // the server is gone (mid-call, or while idle): the next attempt starts it again
            }
            recorder.attemptFinished(done.status(attemptStatus(last, connection, route))
                    .error(last.classification.kind(), last.classification.message())
                    .duration(Duration.ofNanos(System.nanoTime() - start))
                    .build());
            throw e;
        }
    }

    /** Whether our own guards stopped the call before it reached the instance (busy, circuit open, rate limit). */
    private static boolean notCalled(Throwable error) {
        return ServerGuards.busy(error)
                || error instanceof CircuitBreakerOpenException
                || error instanceof RateLimitExceededException;
    }

    /**
     * The real outcome of an attempt that did not succeed: unknown when the request may have reached the
     * server, no answer came, and the tool may not be repeated; else failed.
     */
    private static StepStatus attemptStatus(LastAttempt last, ServerConnection connection, Route route) {
        ErrorKind kind = last.classification.kind();
        boolean noAnswer = kind == ErrorKind.TIMEOUT || kind == ErrorKind.UNAVAILABLE;
        return noAnswer && last.maybeSent && !safeToRepeat(connection, route)
                ? StepStatus.OUTCOME_UNKNOWN
                : StepStatus.FAILED;
    }

    /**
     * The result with what the tool answered: its text, its structured content, and, when the server
     * says it had done this request before and did not do it again, that it was a duplicate.
     */
    private static StepResult.Builder answered(StepResult.Builder result, McpSchema.CallToolResult answer) {
        String text = text(answer);
        Map<String, Object> structured = structured(answer.structuredContent());
        boolean duplicate = !Boolean.TRUE.equals(answer.isError())
                && (structured != null && Boolean.TRUE.equals(structured.get("duplicate"))
                        || DUPLICATE.matcher(text).lookingAt());
        result.content(text).duplicate(duplicate);
        try {
            result.structuredContent(structured);
        } catch (IllegalArgumentException notJson) {
            // a value no JSON reader makes: the text stands for the answer
        }
        if (duplicate) {
            result.message("duplicate request: the server says it had done this request before and did not do it"
                    + " again; the step counts as done by that earlier request");
        }
        return result;
    }

    /**
     * Structured content as a JSON-like map: JSON nulls are left out; a value that is not an object is
     * kept under {@code value}; null when there is none.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(Object content) {
        if (content == null) {
            return null;
        }
        Object value = withoutNulls(content);
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of("value", value);
    }

    private static Object withoutNulls(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                if (v != null) {
                    copy.put(String.valueOf(k), withoutNulls(v));
                }
            });
            return copy;
        }
        if (value instanceof List<?> list) {
            return list.stream()
                    .filter(Objects::nonNull)
                    .map(StepCaller::withoutNulls)
                    .toList();
        }
        return value;
    }

    /**
     * Classifies a failure, once. An attempt's own exception is classified where it is raised; one that
     * Failsafe raised itself (open circuit, rate limit, time-out guard) when it is first
     * seen, and then recorded as an attempt of its own.
     */
    private void classify(LastAttempt last, Route route, Throwable error, boolean raisedByAttempt) {
        if (error == last.error) {
            return;
        }
        last.classification = classifiers.classify(ErrorClassifiers.failure(route.server(), route.tool(), error));
        last.maybeSent = maybeSent(error);
        last.error = error;
        if (!raisedByAttempt) {
            last.attempts++;
            last.recorder.attemptFinished(last.template.toBuilder()
                    .attempts(Math.max(1, last.attempts))
                    .error(last.classification.kind(), last.classification.message())
                    .build());
        }
    }

    /** Whether the call failed because the server could not start, in a way a restart will not mend. */
    private boolean startFailedForGood(String server, Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RequestNotSentException
                    && String.valueOf(t.getMessage()).contains("could not start")) {
                return classifiers.cannotStart(server, t);
            }
        }
        return false;
    }

    /** Whether the request may have reached the server: true unless something says it never left. */
    private static boolean maybeSent(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RequestNotSentException
                    || t instanceof CircuitBreakerOpenException
                    || t instanceof RateLimitExceededException) {
                return false;
            }
        }
        return true;
    }

    private boolean retryable(ErrorKind kind, boolean maybeSent, ServerConnection connection, Route route) {
        boolean transientKind =
                kind == ErrorKind.SERVER_ERROR || kind == ErrorKind.TIMEOUT || kind == ErrorKind.UNAVAILABLE;
        return transientKind && (!maybeSent || safeToRepeat(connection, route));
    }

    static boolean safeToRepeat(ServerConnection connection, Route route) {
        return route.idempotent()
                .orElseGet(() -> Optional.ofNullable(connection.knownTools().get(route.tool()))
                        .map(t -> t.safeToRepeat())
                        .orElse(false));
    }

    private Outcome decide(
            Step step,
            Route route,
            List<ServerConnection> candidates,
            ServerConnection connection,
            LastAttempt last,
            StepResult.Builder result) {
        Classification c = last.classification;
        ErrorKind kind = c.kind();
        String where = "step " + step.number() + " (" + connection.name() + "/" + route.tool() + ")";
        boolean safe = !last.maybeSent || safeToRepeat(connection, route);
        if (startFailedForGood(connection.name(), last.error)) {
            return stop(
                    result,
                    StepStatus.FAILED,
                    kind,
                    c.message() + " (not rescheduled: the server cannot start as configured in "
                            + connection.definition().origin() + ")",
                    Next.FAIL,
                    Optional.empty(),
                    false);
        }
        return switch (kind) {
            case RATE_LIMIT -> {
                Duration wait =
                        c.retryAfter().orElseGet(() -> max(guards.waitBefore(candidates, kind), settings.backoff()));
                yield stop(
                        result,
                        StepStatus.FAILED,
                        kind,
                        c.message() + "; the plan is rescheduled in " + human(wait),
                        Next.RESCHEDULE,
                        Optional.of(clock.instant().plus(wait)),
                        false);
            }
            case TIMEOUT, UNAVAILABLE ->
                safe
                        ? reschedule(candidates, kind, c, last, result)
                        : stop(
                                result,
                                StepStatus.OUTCOME_UNKNOWN,
                                kind,
                                "outcome unknown: the request may have reached"
                                        + " the server, and the tool is not idempotent, so it is not repeated; a person must"
                                        + " check whether " + where + " happened: " + c.message(),
                                Next.REVIEW,
                                Optional.empty(),
                                false);
            case SERVER_ERROR ->
                safe
                        ? reschedule(candidates, kind, c, last, result)
                        : stop(
                                result,
                                StepStatus.FAILED,
                                kind,
                                c.message() + " (not retried: the tool is not idempotent)",
                                Next.FAIL,
                                Optional.empty(),
                                false);
            case AUTHENTICATION, VALIDATION, APPROVAL ->
                stop(result, StepStatus.FAILED, kind, c.message(), Next.FAIL, Optional.empty(), true);
            default -> stop(result, StepStatus.FAILED, kind, c.message(), Next.FAIL, Optional.empty(), false);
        };
    }

    private static Outcome stop(
            StepResult.Builder result,
            StepStatus status,
            ErrorKind kind,
            String message,
            Next next,
            Optional<Instant> retryAt,
            boolean alert) {
        return new Outcome(result.status(status).error(kind, message).build(), next, retryAt, alert);
    }

    private Outcome reschedule(
            List<ServerConnection> candidates,
            ErrorKind kind,
            Classification c,
            LastAttempt last,
            StepResult.Builder result) {
        Duration wait = max(guards.waitBefore(candidates, kind), rescheduleDelay());
        String attempts = last.attempts + (last.attempts == 1 ? " attempt" : " attempts");
        return stop(
                result,
                StepStatus.FAILED,
                kind,
                c.message() + "; " + attempts + " failed, the plan is" + " rescheduled in " + human(wait),
                Next.RESCHEDULE,
                Optional.of(clock.instant().plus(wait)),
                false);
    }

    /** How long a plan waits in the queue after its retries ran out: the backoff after one more retry. */
    Duration rescheduleDelay() {
        return settings.backoff().multipliedBy(1L << Math.min(settings.retries() + 1, 20));
    }

    private static String human(Duration d) {
        return d.compareTo(Duration.ofSeconds(10)) < 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    static String text(McpSchema.CallToolResult result) {
        if (result.content() == null) {
            return "";
        }
        List<McpSchema.Content> content = result.content();
        return content.stream()
                .map(c -> c instanceof McpSchema.TextContent t ? t.text() : "[" + c.type() + "]")
                .collect(Collectors.joining("\n"));
    }
}
