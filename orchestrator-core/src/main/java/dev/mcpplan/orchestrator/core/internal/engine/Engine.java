package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.ApprovalSeal;
import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepCheck;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.core.internal.config.StepExecution;
import dev.mcpplan.orchestrator.core.internal.mcp.ServerPool;
import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.AuditSink;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import dev.mcpplan.orchestrator.spi.PlanStore;
import dev.mcpplan.orchestrator.spi.PlanTakenOverException;
import dev.mcpplan.orchestrator.spi.Route;
import dev.mcpplan.orchestrator.spi.ServerMapping;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs plans: approval check and preflight of every step first (nothing is sent unless all of it
 * passes), then each unchecked step through its server and tool, in order or, in parallel mode, as the
 * graph of their {@code depends_on}, recording every step in the store, the listeners and the audit
 * sinks. A step that does not succeed stops the plan; steps not yet started are not run.
 *
 * <p>Thread-safe: plans may run concurrently.
 */
public final class Engine {
    /** The {@code _meta} key of the idempotency key every call carries: plan id and step, stable across attempts. */
    public static final String IDEMPOTENCY_KEY = "dev.mcpplan/idempotency-key";
    /** The {@code _meta} key of the attempt number. */
    public static final String ATTEMPT_KEY = "dev.mcpplan/attempt";

    /** The front matter field a store keeps a plan's reschedule count in. */
    public static final String RESCHEDULES = Reschedules.COUNT_FIELD;
    /** The front matter field a store keeps the time of a plan's first reschedule in. */
    public static final String RESCHEDULED_SINCE = Reschedules.SINCE_FIELD;

    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    /** At most this many characters of a tool's answer go into an audit line. */
    public static final int RESPONSE_LIMIT = 2000;
    /** At most this many characters of a tool's answer go into the plan's Execution Log. */
    public static final int SUMMARY_LIMIT = 160;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Analyzer analyzer;
    private final StepCaller caller;
    private final List<ExecutionListener> listeners;
    private final List<AuditSink> auditSinks;
    private final Redactor redactor;
    private final ApprovalLedger ledger;
    private final Reschedules reschedules;
    private final Clock clock;
    private final StepExecution execution;
    /** The steps of all plans in parallel mode at once: at most {@code maxConcurrentSteps}. */
    private final Semaphore allSteps;
    /** Threads for the steps of plans in parallel mode; idle ones end after a minute. */
    private final ExecutorService stepThreads;
    /** Plans waiting to run, at most {@code maxConcurrentPlans} at once. */
    private final PlanQueue plans;

    /**
     * @param detectors the detectors, in the order asked
     * @param mappings the server mappings, in the order asked
     * @param ledger the consumed approvals of plans handed over in code and of stores without a ledger
     */
    public Engine(
            List<ActionDetector> detectors,
            List<ServerMapping> mappings,
            ServerPool servers,
            JsonSchemaValidator validator,
            Settings settings,
            List<ErrorClassifier> classifiers,
            List<ExecutionListener> listeners,
            List<AuditSink> auditSinks,
            Redactor redactor,
            ApprovalLedger ledger,
            Clock clock) {
        ErrorClassifiers errorClassifiers = new ErrorClassifiers(classifiers, redactor);
        this.analyzer = new Analyzer(
                detectors,
                mappings,
                servers,
                validator,
                settings.approval(),
                settings.internalSteps(),
                errorClassifiers,
                redactor,
                clock);
        this.reschedules = new Reschedules(settings, clock);
        this.caller = new StepCaller(servers, errorClassifiers, settings, clock);
        this.listeners = List.copyOf(listeners);
        this.auditSinks = List.copyOf(auditSinks);
        this.redactor = redactor;
        this.ledger = ledger;
        this.clock = clock;
        this.execution = settings.stepExecution();
        this.allSteps = new Semaphore(execution.overall(), true);
        this.stepThreads = threads("mcp-orchestrator-step-");
        this.plans = new PlanQueue(execution.plans(), threads("mcp-orchestrator-plan-"), clock);
    }

    /** Daemon threads, as many as the bounds of their users allow; idle ones end after a minute. */
    private static ExecutorService threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread thread = new Thread(r, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A dry run; servers are started to read tool schemas only when {@code connect} is true. */
    public CheckReport check(Plan plan, boolean approvedByStore, boolean connect) {
        List<Problem> planProblems = new ArrayList<>(analyzer.approvalProblems(plan, approvedByStore));
        List<StepPlan> planned = analyzer.steps(plan, connect, parallel(plan, planProblems));
        planProblems.addAll(analyzer.coverageProblems(plan, planned));
        return new CheckReport(
                plan,
                redacted(planProblems),
                planned.stream().map(this::toCheck).toList());
    }

    private List<Problem> redacted(List<Problem> problems) {
        return problems.stream()
                .map(p -> new Problem(p.code(), redactor.redact(p.message()), p.severity()))
                .toList();
    }

    /** The step result with its message redacted: what stores, listeners and the plan's result get. */
    private StepResult redacted(StepResult result) {
        return result.toBuilder()
                .error(
                        result.errorKind().orElse(null),
                        result.message().map(redactor::redact).orElse(null))
                .build();
    }

    /** The plan result with its error and every step's message redacted. */
    private PlanResult redacted(PlanResult result) {
        return result.toBuilder()
                .steps(result.steps().stream().map(this::redacted).toList())
                .error(
                        result.errorKind().orElse(null),
                        result.error().map(redactor::redact).orElse(null))
                .build();
    }

    private StepCheck toCheck(StepPlan s) {
        return new StepCheck(
                s.step(),
                s.action().map(a -> a.type()),
                s.detector(),
                s.route().map(Route::server),
                s.route().map(Route::tool),
                redactor.redact(s.arguments()),
                redacted(s.problems()));
    }

    /**
     * Claims and runs every plan the store has ready.
     */
    public List<PlanResult> processReady(PlanStore store) {
        List<CompletableFuture<Optional<PlanResult>>> taken = new ArrayList<>();
        // interrupted runs first, then the store's order (which is the queue's: priority, due time, age)
        for (String key : store.interrupted()) {
            taken.add(plans.submit(0, null, () -> take(store, key, true)));
        }
        for (String key : store.ready()) {
            taken.add(plans.submit(Priority.MEDIUM, null, () -> take(store, key, false)));
        }
        List<PlanResult> results = new ArrayList<>();
        RuntimeException first = null;
        for (CompletableFuture<Optional<PlanResult>> t : taken) {
            try {
                t.join().ifPresent(results::add);
            } catch (CompletionException e) {
                first = first != null ? first : asUnchecked(e.getCause());
            }
        }
        if (first != null) {
            throw first;
        }
        return results;
    }

    /**
     * Queues a plan handed over in code, to run as {@link #execute(Plan, boolean)} does when its turn
     * comes: at most {@code maxConcurrentPlans} at once, the most urgent first.
     */
    public CompletableFuture<PlanResult> submit(Plan plan, boolean approvedByStore) {
        int level = Priority.level(plan.frontMatter().get(Priority.FIELD)).orElse(Priority.MEDIUM);
        return plans.submit(level, null, () -> execute(plan, approvedByStore));
    }

    /** Claims (or resumes) and runs one plan; empty when another process took it first. */
    private Optional<PlanResult> take(PlanStore store, String key, boolean resume) {
        Optional<Plan> claimed;
        try {
            claimed = resume ? store.resume(key) : store.claim(key);
        } catch (PlanFormatException e) {
            LOG.warn(
                    "plan {} in store '{}' cannot be read; moved aside: {}",
                    key,
                    store.id(),
                    redactor.redact(String.valueOf(e.getMessage())));
            Instant now = clock.instant();
            audit(AuditRecord.builder(now, "plan_rejected", key, "failed")
                    .error(ErrorKind.VALIDATION, redactor.redact(e.getMessage()))
                    .build());
            return Optional.of(PlanResult.builder(key, PlanStatus.FAILED)
                    .startedAt(now)
                    .finishedAt(now)
                    .error(ErrorKind.VALIDATION, redactor.redact(String.valueOf(e.getMessage())))
                    .build());
        }
        if (claimed.isEmpty()) {
            LOG.debug("plan {} was taken by another process", key);
            return Optional.empty();
        }
        Plan plan = claimed.get();
        if (resume) {
            LOG.info("resuming plan {} after an interruption", plan.id());
        }
        try {
            return Optional.of(
                    execute(plan, true, store, resume ? ApprovalLedger.Start.RESUMED : ApprovalLedger.Start.CLAIMED));
        } catch (PlanTakenOverException e) {
            String message = redactor.redact(String.valueOf(e.getMessage()));
            LOG.warn("plan {}: another process took it over, so this one stopped: {}", plan.id(), message);
            audit(planRecord(plan, clock.instant(), "plan_taken_over", "stopped", null, message, 0));
            return Optional.empty();
        }
    }

    /**
     * Runs a plan handed over in code; its approval is consumed in this engine's own ledger.
     *
     * @param approvedByStore whether the act of approval of the folder it was read from covers the plan
     */
    public PlanResult execute(Plan plan, boolean approvedByStore) {
        return execute(plan, approvedByStore, null, ApprovalLedger.Start.CLAIMED);
    }

    /**
     * Runs a plan and, with a store, finishes it there.
     *
     * @param approvedByStore whether the store's act of approval covers the plan
     * @param store where progress is recorded, or null
     */
    private PlanResult execute(Plan plan, boolean approvedByStore, PlanStore store, ApprovalLedger.Start start) {
        Instant started = clock.instant();
        announce(l -> l.planStarted(plan));
        audit(planRecord(plan, started, "plan_started", "started", null, null, 0));

        List<Problem> approval = analyzer.approvalProblems(plan, approvedByStore);
        List<Problem> all = new ArrayList<>(approval);
        boolean parallel = parallel(plan, all);
        List<StepPlan> steps = analyzer.steps(plan, approval.isEmpty(), parallel);
        all.addAll(analyzer.coverageProblems(plan, steps));
        steps.forEach(s -> all.addAll(s.problems()));
        List<Problem> problems = all.stream().filter(Problem::isError).toList();
        List<Problem> warnings = redacted(all.stream().filter(p -> !p.isError()).toList()); // they quote step texts
        warnings.forEach(w -> LOG.warn("plan {}: {}", plan.id(), w.message()));
        if (!problems.isEmpty()) {
            return close(plan, refuse(plan, started, steps, problems), store, null);
        }
        ApprovalLedger consumed = store == null ? ledger : store.ledger().orElse(ledger);
        Optional<String> used = begin(consumed, plan, start);
        if (used.isPresent()) {
            return close(
                    plan,
                    refuse(plan, started, steps, List.of(new Problem(Problem.Code.APPROVAL_CONSUMED, used.get()))),
                    store,
                    null);
        }

        String stepsHash = ApprovalSeal.hash(plan); // the steps as the run began, for the check before each step
        Ran ran = parallel
                ? inParallel(plan, stepsHash, steps, approvedByStore, store)
                : inOrder(plan, stepsHash, steps, approvedByStore, store);
        List<StepResult> results = ran.results();
        StepCaller.Outcome stop = ran.stop();
        PlanResult.Builder out = PlanResult.builder(
                        plan.id(),
                        stop == null
                                ? PlanStatus.COMPLETED
                                : switch (stop.next()) {
                                    case REVIEW -> PlanStatus.NEEDS_REVIEW;
                                    case RESCHEDULE -> PlanStatus.RETRY_SCHEDULED;
                                    default -> PlanStatus.FAILED;
                                })
                .steps(results)
                .warnings(warnings)
                .startedAt(started)
                .finishedAt(clock.instant());
        if (stop != null) {
            StepResult stopper = stop.result();
            out.error(
                    stopper.errorKind().orElse(null),
                    "step " + stopper.step() + " (" + stopper.action().orElse("?") + "): "
                            + stopper.message().orElse("failed"));
            stop.retryAt().ifPresent(out::retryAfter);
        }
        return close(plan, finish(plan, reschedules.bounded(plan, out)), store, consumed);
    }

    /**
     * Whether the plan's steps run in parallel: its {@code execution} field, else the setting. A field
     * that says neither, a cycle of {@code depends_on} (no order can run it) and a {@code priority} that
     * is no level go to {@code problems}.
     */
    private boolean parallel(Plan plan, List<Problem> problems) {
        boolean parallel = false;
        try {
            parallel = execution.parallelFor(plan.frontMatter());
        } catch (IllegalArgumentException e) {
            problems.add(new Problem(Problem.Code.PLAN, e.getMessage()));
        }
        plan.dependencyCycle().ifPresent(cycle -> problems.add(new Problem(Problem.Code.PLAN, cycle)));
        Object priority = plan.frontMatter().get(Priority.FIELD);
        if (Priority.level(priority).isEmpty()) {
            problems.add(new Problem(
                    Problem.Code.PLAN,
                    "priority must be urgent, high, medium, low or a whole number from 0 (most urgent) to 1000,"
                            + " not '" + priority + "'"));
        }
        return parallel;
    }

    /**
     * What a run of the steps gave: a result for every step, in step order, and the outcome that
     * stopped the plan, or null when none did.
     */
    private record Ran(List<StepResult> results, StepCaller.Outcome stop) {}

    /** The steps one after another; the first that does not succeed stops the plan. */
    private Ran inOrder(Plan plan, String stepsHash, List<StepPlan> steps, boolean approvedByStore, PlanStore store) {
        List<StepResult> results = new ArrayList<>();
        StepCaller.Outcome stop = null;
        for (StepPlan s : steps) {
            // after a stop, only a step checked before the run is more than not run
            Optional<StepResult> settled =
                    stop != null && !s.step().checked() ? Optional.empty() : settledWithoutCall(plan, s, store);
            StepResult result;
            if (settled.isPresent()) {
                result = settled.get();
            } else if (stop != null) {
                result = notRun(s, stop);
            } else {
                StepCaller.Outcome outcome = run(plan, stepsHash, s, approvedByStore, store);
                result = outcome.result();
                if (outcome.next() != StepCaller.Next.CONTINUE) {
                    stop = outcome;
                }
            }
            results.add(result);
        }
        return new Ran(results, stop);
    }

    /**
     * A step that needs no call: checked before the run, or internal (no detector recognised it, and
     * it is recorded as skipped). Either counts as done for the steps that depend on it.
     */
    private Optional<StepResult> settledWithoutCall(Plan plan, StepPlan s, PlanStore store) {
        if (s.step().checked()) {
            return Optional.of(StepResult.builder(s.step().number(), StepStatus.ALREADY_DONE)
                    .message("checked before the run")
                    .build());
        }
        if (s.internal()) {
            StepResult result = StepResult.builder(s.step().number(), StepStatus.SKIPPED)
                    .message("internal step: no detector recognised it")
                    .build();
            audit(stepRecord(plan, s, clock.instant(), statusWord(result), result, 0));
            record(plan, s.step(), result, store);
            return Optional.of(result);
        }
        return Optional.empty();
    }

    private static StepResult notRun(StepPlan s, StepCaller.Outcome stop) {
        return StepResult.builder(s.step().number(), StepStatus.NOT_RUN)
                .message("not run: step " + stop.result().step() + " did not succeed")
                .build();
    }

    /**
     * The steps as the graph of their {@code depends_on}: a step starts once every step it depends on
     * is done, at most {@code maxParallelSteps} of the plan and {@code maxConcurrentSteps} of all plans
     * at once (and each server's own {@code maxConcurrent}). Once a step does not succeed no other
     * starts; those running are waited for and recorded, the rest are not run. Of several steps that
     * did not succeed the gravest decides the plan: one whose outcome is unknown (review), then one
     * that failed, then one to be tried again later.
     */
    private Ran inParallel(
            Plan plan, String stepsHash, List<StepPlan> steps, boolean approvedByStore, PlanStore store) {
        int count = steps.size();
        StepResult[] results = new StepResult[count];
        int[] waitingFor = new int[count + 1];
        List<List<Integer>> dependants = new ArrayList<>(count + 1);
        for (int n = 0; n <= count; n++) {
            dependants.add(new ArrayList<>());
        }
        for (StepPlan s : steps) {
            int n = s.step().number();
            s.step().dependsOn().stream()
                    .map(ref -> plan.step(ref).orElseThrow().number())
                    .distinct()
                    .forEach(on -> {
                        waitingFor[n]++;
                        dependants.get(on).add(n);
                    });
        }
        ArrayDeque<Integer> ready = new ArrayDeque<>();
        for (int n = 1; n <= count; n++) {
            if (waitingFor[n] == 0) {
                ready.add(n);
            }
        }
        CompletionService<StepCaller.Outcome> done = new ExecutorCompletionService<>(stepThreads);
        int running = 0;
        StepCaller.Outcome stop = null;
        RuntimeException broken = null;
        boolean interrupted = false;
        while (true) {
            while (stop == null
                    && broken == null
                    && !interrupted
                    && running < execution.perPlan()
                    && !ready.isEmpty()) {
                StepPlan s = steps.get(ready.poll() - 1);
                Optional<StepResult> settled = settledWithoutCall(plan, s, store);
                if (settled.isPresent()) {
                    results[s.step().number() - 1] = settled.get();
                    release(s.step().number(), waitingFor, dependants, ready);
                    continue;
                }
                try {
                    allSteps.acquire();
                } catch (InterruptedException e) {
                    interrupted = true;
                    ready.addFirst(s.step().number());
                    break;
                }
                done.submit(() -> {
                    try {
                        return run(plan, stepsHash, s, approvedByStore, store);
                    } finally {
                        allSteps.release();
                    }
                });
                running++;
            }
            if (running == 0) {
                break;
            }
            StepCaller.Outcome outcome;
            try {
                outcome = done.take().get();
            } catch (InterruptedException e) {
                interrupted = true; // no new step starts; those running end by their own time-outs
                continue;
            } catch (ExecutionException e) {
                running--;
                broken = broken != null ? broken : asUnchecked(e.getCause());
                continue;
            }
            running--;
            StepResult result = outcome.result();
            results[result.step() - 1] = result;
            if (outcome.next() == StepCaller.Next.CONTINUE) {
                release(result.step(), waitingFor, dependants, ready);
            } else if (stop == null || gravity(outcome.next()) > gravity(stop.next())) {
                stop = outcome;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (broken != null) {
            throw broken;
        }
        List<StepResult> all = new ArrayList<>(count);
        for (int n = 1; n <= count; n++) {
            StepResult result = results[n - 1];
            all.add(
                    result != null
                            ? result
                            : stop != null
                                    ? notRun(steps.get(n - 1), stop)
                                    : StepResult.builder(n, StepStatus.NOT_RUN)
                                            .message("not run: the run was interrupted")
                                            .build());
        }
        return new Ran(all, stop);
    }

    /** How grave an outcome is for the plan: unknown (review), then failed, then to be tried again later. */
    private static int gravity(StepCaller.Next next) {
        return switch (next) {
            case REVIEW -> 3;
            case FAIL -> 2;
            case RESCHEDULE -> 1;
            case CONTINUE -> 0;
        };
    }

    /** A step is done: the steps that waited only for it are ready. */
    private static void release(int step, int[] waitingFor, List<List<Integer>> dependants, ArrayDeque<Integer> ready) {
        for (int n : dependants.get(step)) {
            if (--waitingFor[n] == 0) {
                ready.add(n);
            }
        }
    }

    private static RuntimeException asUnchecked(Throwable cause) {
        return cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
    }

    /** Consumes the plan's approval: empty when it may run, else why not. */
    private Optional<String> begin(ApprovalLedger ledger, Plan plan, ApprovalLedger.Start start) {
        try {
            return ledger.begin(plan, start).map(earlier -> "refused as a repeat: " + earlier);
        } catch (UncheckedIOException e) {
            return Optional.of("cannot tell whether the approval was used before: " + redactor.redact(e));
        }
    }

    /**
     * Ends a run in the store and the ledger. A rescheduled run is marked open for the same plan in the
     * ledger before the plan goes back to the queue, so that a crash between the two cannot lock it
     * out; a finished run is closed after the store has moved the plan, so that a crash between the
     * two leaves the run open (refusing copies) rather than closed with the plan still in progress.
     *
     * @param consumed the ledger the run began in, or null when it did not begin
     */
    private PlanResult close(Plan plan, PlanResult result, PlanStore store, ApprovalLedger consumed) {
        boolean rescheduled = result.status() == PlanStatus.RETRY_SCHEDULED;
        if (consumed != null && rescheduled) {
            end(consumed, plan, result);
        }
        if (store != null) {
            recordOrLog(
                    () -> store.finish(plan, result),
                    () -> "store '" + store.id() + "' could not finish plan " + plan.id());
        }
        if (consumed != null && !rescheduled) {
            end(consumed, plan, result);
        }
        return result;
    }

    private void end(ApprovalLedger ledger, Plan plan, PlanResult result) {
        recordOrLog(
                () -> ledger.end(plan, result),
                () -> "could not record the end of plan " + plan.id() + " in the approval ledger");
    }

    /**
     * A record of the run that must not end it when it fails: the failure is logged (as {@code what},
     * then the failure, redacted) and the run goes on; but a {@link PlanTakenOverException} goes
     * through, since the run is another process's now and its end is not this one's to record.
     */
    private void recordOrLog(Runnable record, Supplier<String> what) {
        try {
            record.run();
        } catch (PlanTakenOverException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.error("{}: {}", what.get(), redactor.redact(e));
        }
    }

    /** One step: the approval checked again, then the call, recorded as it goes. */
    private StepCaller.Outcome run(Plan plan, String stepsHash, StepPlan s, boolean approvedByStore, PlanStore store) {
        Optional<String> revoked = approvalStillHolds(plan, stepsHash, approvedByStore, store);
        if (revoked.isPresent()) {
            String message = "the approval no longer holds, so " + s.step().label() + " was not run: " + revoked.get();
            alert(plan, ErrorKind.APPROVAL, message);
            StepResult result = StepResult.builder(s.step().number(), StepStatus.NOT_RUN)
                    .action(s.action().map(a -> a.type()).orElse(null))
                    .error(ErrorKind.APPROVAL, redactor.redact(message))
                    .build();
            record(plan, s.step(), result, store);
            return new StepCaller.Outcome(result, StepCaller.Next.FAIL, Optional.empty(), false);
        }
        if (store != null && store.interruptedSteps(plan).contains(s.step().number())) {
            Optional<StepCaller.Outcome> unknown = caller.interrupted(s);
            if (unknown.isPresent()) {
                record(plan, s.step(), unknown.get().result(), store);
                return unknown.get();
            }
        }
        StepCaller.Outcome outcome = caller.call(plan, s, new StepCaller.Recorder() {
            @Override
            public void attemptStarted(int attempt, boolean safeToRepeat) {
                if (store != null) {
                    store.stepStarted(plan, s.step(), safeToRepeat);
                }
                announce(l -> l.stepStarted(plan, s.step(), attempt));
            }

            @Override
            public void attemptFinished(StepResult attempt) {
                audit(stepRecord(plan, s, clock.instant(), statusWord(attempt), attempt, attempt.attempts()));
            }

            @Override
            public void progress(McpSchema.ProgressNotification p) {
                String message = p.message() == null ? null : redactor.redact(p.message());
                double done = p.progress() == null ? 0 : p.progress();
                announce(l -> l.stepProgress(plan, s.step(), done, p.total(), message));
            }
        });
        StepResult result = redacted(outcome.result()).toBuilder()
                .summary(response(outcome.result(), SUMMARY_LIMIT))
                .build();
        if (outcome.alert()) {
            alert(
                    plan,
                    result.errorKind().orElseThrow(),
                    s.step().label() + ": " + result.message().orElse(""));
        }
        record(plan, s.step(), result, store);
        return new StepCaller.Outcome(result, outcome.next(), outcome.retryAt(), outcome.alert());
    }

    private void alert(Plan plan, ErrorKind kind, String text) {
        String message = redactor.redact(text);
        announce(l -> l.alert(plan, kind, message));
        audit(planRecord(plan, clock.instant(), "alert", kind.name().toLowerCase(Locale.ROOT), kind, message, 0));
    }

    /**
     * The approval checked again just before a step: it may have expired since the plan started, and
     * the plan in the store may have changed.
     *
     * @return why the approval no longer holds, or empty when it does
     */
    private Optional<String> approvalStillHolds(Plan plan, String stepsHash, boolean approvedByStore, PlanStore store) {
        Plan current = plan;
        if (store != null) {
            try {
                current = store.current(plan).orElse(plan);
            } catch (PlanFormatException e) {
                return Optional.of("the plan can no longer be read: " + e.getMessage());
            }
        }
        List<String> reasons = new ArrayList<>();
        // the plan as the run began: its steps and seal were checked then, only the clock has moved
        boolean unchanged = current == plan;
        if (!unchanged && !ApprovalSeal.hash(current).equals(stepsHash)) {
            reasons.add("the plan's steps were edited after the run started");
        }
        (unchanged
                        ? analyzer.standingProblems(current, approvedByStore)
                        : analyzer.approvalProblems(current, approvedByStore))
                .forEach(p -> reasons.add(p.message()));
        return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    }

    private PlanResult refuse(Plan plan, Instant started, List<StepPlan> steps, List<Problem> problems) {
        boolean approvalProblem = problems.stream().anyMatch(p -> switch (p.code()) {
            case NOT_APPROVED, APPROVAL_EXPIRED, ACTION_NOT_APPROVED, APPROVAL_MISMATCH, APPROVAL_CONSUMED -> true;
            default -> false;
        });
        // a server that cannot start now may start later; one that cannot start as configured will not
        boolean unavailable = problems.stream().allMatch(p -> p.code() == Problem.Code.SERVER_UNAVAILABLE);
        ErrorKind kind =
                approvalProblem ? ErrorKind.APPROVAL : unavailable ? ErrorKind.UNAVAILABLE : ErrorKind.VALIDATION;
        String message = "preflight failed, nothing was sent: "
                + problems.stream().map(Problem::message).collect(Collectors.joining("; "));
        List<StepResult> results = steps.stream()
                .map(s -> StepResult.builder(
                                s.step().number(), s.step().checked() ? StepStatus.ALREADY_DONE : StepStatus.NOT_RUN)
                        .message(
                                s.problems().isEmpty()
                                        ? null
                                        : s.problems().stream()
                                                .map(Problem::message)
                                                .collect(Collectors.joining("; ")))
                        .build())
                .toList();
        if (kind == ErrorKind.APPROVAL) {
            alert(plan, kind, message);
        }
        PlanResult.Builder result = PlanResult.builder(plan.id(), PlanStatus.FAILED)
                .steps(results)
                .startedAt(started)
                .finishedAt(clock.instant())
                .error(kind, message);
        if (kind == ErrorKind.UNAVAILABLE) {
            result.status(PlanStatus.RETRY_SCHEDULED).retryAfter(clock.instant().plus(caller.rescheduleDelay()));
        }
        return finish(plan, reschedules.bounded(plan, result));
    }

    private PlanResult finish(Plan plan, PlanResult unredacted) {
        PlanResult result = redacted(unredacted);
        long ms = result.startedAt()
                .flatMap(
                        s -> result.finishedAt().map(f -> Duration.between(s, f).toMillis()))
                .orElse(0L);
        audit(planRecord(
                plan,
                clock.instant(),
                "plan_finished",
                result.status().wireName(),
                result.errorKind().orElse(null),
                result.error().orElse(null),
                ms));
        announce(l -> l.planFinished(plan, result));
        return result;
    }

    private void record(Plan plan, Step step, StepResult unredacted, PlanStore store) {
        StepResult result = redacted(unredacted);
        if (store != null) {
            recordOrLog(
                    () -> store.stepFinished(plan, step, result),
                    () -> "could not record " + step.label() + " of plan " + plan.id() + " in the store");
        }
        announce(l -> l.stepFinished(plan, step, result));
    }

    /** The real outcome of one attempt, as the audit log says it. */
    private static String statusWord(StepResult attempt) {
        return switch (attempt.status()) {
            case SUCCEEDED -> attempt.duplicate() ? "duplicate" : "success";
            case FAILED -> "failed";
            case OUTCOME_UNKNOWN -> "outcome_unknown";
            default -> attempt.status().name().toLowerCase(Locale.ROOT);
        };
    }

    private AuditRecord planRecord(
            Plan plan, Instant at, String event, String status, ErrorKind kind, String message, long durationMs) {
        return AuditRecord.builder(at, event, plan.id(), status)
                .taskId(plan.taskId().orElse(null))
                .error(kind, message == null ? null : redactor.redact(message))
                .durationMs(durationMs)
                .approver(plan.approval().approvedBy().orElse(null))
                .build();
    }

    private AuditRecord stepRecord(Plan plan, StepPlan s, Instant at, String status, StepResult result, int attempt) {
        return AuditRecord.builder(at, "tool_call", plan.id(), status)
                .taskId(plan.taskId().orElse(null))
                .step(
                        s.step().number(),
                        s.action().map(a -> a.type()).orElse(null),
                        // the instance that took the call, when there was one
                        result.server()
                                .orElseGet(() -> s.route().map(Route::server).orElse(null)),
                        s.route().map(Route::tool).orElse(null))
                .parameters(redactor.redact(s.arguments()))
                .error(
                        result.errorKind().orElse(null),
                        result.message().map(redactor::redact).orElse(null))
                .durationMs(result.duration().toMillis())
                .attempt(attempt)
                .approver(plan.approval().approvedBy().orElse(null))
                .response(response(result, RESPONSE_LIMIT))
                .build();
    }

    /**
     * What the tool answered, redacted and cut to {@code limit} characters: its structured content as
     * JSON, else its text; null when it answered nothing. For the Execution Log, the plan file's
     * structure is kept by the log itself, which puts each entry on one line.
     */
    private String response(StepResult result, int limit) {
        String answer = result.structuredContent()
                .map(m -> JSON.writeValueAsString(redactor.redact(m)))
                .or(() -> result.content().map(redactor::redact))
                .orElse("");
        if (answer.isEmpty()) {
            return null;
        }
        if (answer.length() <= limit) {
            return answer;
        }
        int cut = Character.isHighSurrogate(answer.charAt(limit - 1)) ? limit - 1 : limit;
        return answer.substring(0, cut) + "... (" + (answer.length() - cut) + " more characters)";
    }

    private void audit(AuditRecord record) {
        for (AuditSink sink : auditSinks) {
            try {
                sink.record(record);
            } catch (RuntimeException e) {
                LOG.error("audit sink {} failed: {}", sink.getClass().getName(), redactor.redact(e));
            }
        }
    }

    private void announce(Consumer<ExecutionListener> event) {
        for (ExecutionListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                LOG.warn("execution listener {} failed: {}", listener.getClass().getName(), redactor.redact(e));
            }
        }
    }
}
