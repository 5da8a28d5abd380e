package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.internal.engine.Engine;
import dev.mcpplan.orchestrator.core.internal.io.AtomicFiles;
import dev.mcpplan.orchestrator.core.internal.ledger.FileLedger;
import dev.mcpplan.orchestrator.core.internal.plan.PlanDocument;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import dev.mcpplan.orchestrator.spi.PlanStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default plan store: a vault folder. A person approves a plan by moving it into {@code Approved/};
 * the orchestrator claims it by an atomic move into {@code In_Progress/} (so of several orchestrator
 * processes on one vault, exactly one runs it), records each step in the file (checkbox, Execution Log),
 * and finally moves it to {@code Done/}, {@code Failed/} or {@code Needs_Review/}, or back to
 * {@code Approved/} with a {@code retry_after}. A name clash never overwrites a file; every write is
 * atomic. Each finished plan adds a line under {@code ## Recent Activity} in {@code Dashboard.md}.
 *
 * <p>Thread-safe.
 */
public final class VaultPlanStore implements PlanStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VaultPlanStore.class);
    private static final Pattern RETRY_AFTER = Pattern.compile("(?m)^retry_after:\\s*\"?([^\"\\s]+)");
    private static final int DASHBOARD_LINES = 50;

    private final Path vault;
    private final Clock clock;
    private final FileLedger ledger;
    private WatchService watcher;
    private boolean watchUnsupported;
    private final Map<Path, VaultJournal> running = new ConcurrentHashMap<>();
    private final Map<Path, Set<Integer>> interruptedSteps = new ConcurrentHashMap<>();

    private VaultPlanStore(Path vault, Clock clock) {
        this.vault = vault.toAbsolutePath().normalize();
        this.clock = clock;
        this.ledger = new FileLedger(this.vault.resolve(".orchestrator").resolve("ledger.jsonl"), clock);
        for (Path dir : List.of(approvedDir(), inProgressDir(), doneDir(), failedDir(), needsReviewDir(), logsDir())) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create vault folder " + dir, e);
            }
        }
    }

    /** Opens (and creates the folders of) a vault. */
    public static VaultPlanStore open(Path vault) {
        return open(vault, Clock.systemUTC());
    }

    public static VaultPlanStore open(Path vault, Clock clock) {
        return new VaultPlanStore(vault, clock);
    }

    public Path approvedDir() {
        return vault.resolve("Approved");
    }

    public Path inProgressDir() {
        return vault.resolve("In_Progress");
    }

    public Path doneDir() {
        return vault.resolve("Done");
    }

    public Path failedDir() {
        return vault.resolve("Failed");
    }

    public Path needsReviewDir() {
        return vault.resolve("Needs_Review");
    }

    public Path logsDir() {
        return vault.resolve("Logs");
    }

    /** The vault's record of consumed approvals, {@code .orchestrator/ledger.jsonl}. */
    @Override
    public Optional<ApprovalLedger> ledger() {
        return Optional.of(ledger);
    }

    @Override
    public String id() {
        return "vault:" + vault;
    }

    @Override
    public List<String> ready() {
        return plans(approvedDir(), this::due);
    }

    /** The names of the plan files in {@code dir} that {@code wanted} accepts, oldest first. */
    private static List<String> plans(Path dir, Predicate<Path> wanted) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".md"))
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(wanted)
                    .sorted(Comparator.comparing(VaultPlanStore::modified).thenComparing(Path::getFileName))
                    .map(p -> p.getFileName().toString())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private boolean due(Path plan) {
        try {
            Matcher m = RETRY_AFTER.matcher(Files.readString(plan, StandardCharsets.UTF_8));
            return !m.find() || !Instant.parse(m.group(1)).isAfter(clock.instant());
        } catch (IOException | DateTimeParseException e) {
            return true;
        }
    }

    private static Instant modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            return Instant.EPOCH;
        }
    }

    @Override
    public Optional<Plan> claim(String key) {
        Path claimed;
        Instant approvedAt;
        try {
            approvedAt = enteredApproved(approvedDir().resolve(key)).truncatedTo(ChronoUnit.SECONDS);
            claimed = AtomicFiles.moveWithoutOverwrite(approvedDir().resolve(key), inProgressDir());
        } catch (NoSuchFileException lost) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot claim " + key, e);
        }
        Plan plan = parseOrMoveAside(claimed);
        try {
            running.put(claimed, VaultJournal.start(claimed));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the journal of " + claimed, e);
        }
        edit(claimed, d -> {
            PlanDocument out = d.withField("status", "in_progress")
                    .withField("started_at", now())
                    .withoutField("retry_after");
            // the approval's age counts from here on, also when the plan comes back to the queue
            return plan.approval().approvedAt().isPresent() ? out : out.withField("approved_at", approvedAt.toString());
        });
        return Optional.of(withApprovalTime(plan, approvedAt));
    }

    /** Parses a plan in {@code In_Progress/}; one that cannot be read is moved to {@code Failed/}, intact. */
    private Plan parseOrMoveAside(Path file) {
        try {
            return PlanParser.parse(file);
        } catch (PlanFormatException e) {
            try {
                Path failed = AtomicFiles.moveWithoutOverwrite(file, failedDir());
                AtomicFiles.write(
                        failed.resolveSibling(failed.getFileName() + ".error.txt"),
                        (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException io) {
                throw new UncheckedIOException("cannot move unreadable plan " + file + " to " + failedDir(), io);
            }
            throw e;
        }
    }

    /**
     * Plans in {@code In_Progress/} whose run was interrupted: their journal is not locked, because the
     * process that ran them died. A plan without a journal counts when it has been there for a minute
     * (its claimer died before it could start one).
     */
    @Override
    public List<String> interrupted() {
        Instant stale = clock.instant().minus(Duration.ofMinutes(1));
        return plans(
                inProgressDir(),
                p -> !running.containsKey(p)
                        && (Files.exists(VaultJournal.of(p)) || modified(p).isBefore(stale)));
    }

    /**
     * Takes over an interrupted run: the steps its journal says succeeded are checked in the file (if
     * the process died before it could do so), and the steps that started but did not succeed are
     * reported by {@link #interruptedSteps}.
     */
    @Override
    public Optional<Plan> resume(String key) {
        Path file = inProgressDir().resolve(key);
        VaultJournal journal;
        VaultJournal.State state;
        try {
            Optional<VaultJournal> taken = VaultJournal.takeOver(file);
            if (taken.isEmpty() || !Files.exists(file)) {
                if (taken.isPresent()) {
                    taken.get().close(true); // the plan has left In_Progress/: its journal is an orphan
                }
                return Optional.empty();
            }
            journal = taken.get();
            state = journal.read();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take over the journal of " + file, e);
        }
        Plan plan;
        try {
            plan = parseOrMoveAside(file);
        } catch (PlanFormatException e) {
            closeQuietly(journal, true);
            throw e;
        }
        running.put(file, journal);
        interruptedSteps.put(file, Set.copyOf(state.interrupted()));
        edit(file, d -> {
            PlanDocument out = d;
            for (Step step : PlanParser.parse(file).steps()) {
                if (state.succeeded().contains(step.number()) && !step.checked()) {
                    out = out.withStepChecked(step.line());
                }
            }
            return out.withLogLine(now() + " resumed after an interruption; steps that started but did not"
                    + " finish: " + (state.interrupted().isEmpty() ? "none" : state.interrupted()));
        });
        Plan resumed = PlanParser.parse(file);
        return Optional.of(
                withApprovalTime(resumed, plan.approval().approvedAt().orElse(null)));
    }

    @Override
    public Set<Integer> interruptedSteps(Plan plan) {
        return plan.source()
                .map(f -> interruptedSteps.getOrDefault(f, Set.of()))
                .orElse(Set.of());
    }

    @Override
    public void stepStarted(Plan plan, Step step) {
        journal(plan, j -> j.started(step.number(), clock.instant()));
    }

    private void journal(Plan plan, JournalWrite write) {
        VaultJournal journal = running.get(plan.source().orElseThrow());
        if (journal != null) {
            try {
                write.to(journal);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot write the journal of " + plan.source().orElseThrow(), e);
            }
        }
    }

    private interface JournalWrite {
        void to(VaultJournal journal) throws IOException;
    }

    private static void closeQuietly(VaultJournal journal, boolean delete) {
        try {
            journal.close(delete);
        } catch (IOException e) {
            LOG.warn("cannot close the journal: {}", e.toString());
        }
    }

    /**
     * When the file entered {@code Approved/}: its status change time where the file system has one
     * (a move sets it; content edits before the move set it too, which only makes the approval younger
     * than the move), else its last modification.
     */
    private static Instant enteredApproved(Path file) throws IOException {
        try {
            return ((FileTime) Files.getAttribute(file, "unix:ctime")).toInstant();
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Files.getLastModifiedTime(file).toInstant();
        }
    }

    /** The plan with {@code approved_at}, when its front matter has none, set to when it was approved here. */
    private static Plan withApprovalTime(Plan plan, Instant approvedAt) {
        return plan.approval().approvedAt().isPresent()
                ? plan
                : plan.toBuilder()
                        .approval(plan.approval().toBuilder()
                                .approvedAt(approvedAt)
                                .build())
                        .build();
    }

    /** The plan file read again from {@code In_Progress/}, with the approval time it was claimed with. */
    @Override
    public Optional<Plan> current(Plan plan) {
        Path file = plan.source().orElseThrow();
        return Optional.of(withApprovalTime(
                PlanParser.parse(file), plan.approval().approvedAt().orElse(null)));
    }

    @Override
    public void stepFinished(Plan plan, Step step, StepResult result) {
        Path file = plan.source().orElseThrow();
        if (result.attempts() > 0) {
            journal(plan, j -> j.finished(step.number(), result.status(), clock.instant()));
        }
        String line = now() + " step " + step.number() + " " + result.action().orElse("(internal)")
                + result.server()
                        .map(s -> " -> " + s + "/" + result.tool().orElse("?"))
                        .orElse("") + ": "
                + result.status().name().toLowerCase(Locale.ROOT) + " ("
                + result.duration().toMillis() + " ms)"
                + result.message().map(m -> ": " + m).orElse("")
                + result.summary().map(r -> " -> " + r).orElse("");
        edit(file, d -> {
            // the file has gained front matter lines since it was parsed: find the step where it is now
            PlanDocument out = result.status() == StepStatus.SUCCEEDED
                    ? d.withStepChecked(PlanParser.parse(file)
                            .steps()
                            .get(step.number() - 1)
                            .line())
                    : d;
            return out.withLogLine(line);
        });
    }

    @Override
    public void finish(Plan plan, PlanResult result) {
        Path file = plan.source().orElseThrow();
        edit(file, d -> {
            PlanDocument out = d.withField("status", result.status().wireName()).withField("completed_at", now());
            if (result.error().isPresent()) {
                out = out.withField("error", result.error().get());
            }
            if (result.retryAfter().isPresent()) {
                out = out.withField("retry_after", result.retryAfter().get().toString());
            }
            if (result.reschedules() > 0) {
                out = out.withField(Engine.RESCHEDULES, String.valueOf(result.reschedules()));
            }
            if (result.rescheduledSince().isPresent()) {
                out = out.withField(
                        Engine.RESCHEDULED_SINCE,
                        result.rescheduledSince().get().toString());
            }
            return out.withLogLine(now() + " plan " + result.status().wireName()
                    + result.error().map(e -> ": " + e).orElse(""));
        });
        Path target = switch (result.status()) {
            case COMPLETED -> doneDir();
            case NEEDS_REVIEW -> needsReviewDir();
            case RETRY_SCHEDULED -> approvedDir();
            default -> failedDir();
        };
        try {
            Path moved = AtomicFiles.moveWithoutOverwrite(file, target);
            interruptedSteps.remove(file);
            VaultJournal journal = running.remove(file);
            if (journal != null) {
                closeQuietly(journal, true);
            }
            dashboard("- " + now() + " " + plan.id() + ": " + result.status().wireName() + " -> "
                    + vault.relativize(moved));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + file + " to " + target, e);
        }
    }

    /**
     * Waits until a file appears in or changes in {@code Approved/}, or {@code timeout} passes: file
     * system events where the platform has them (the watch is kept from the first call on, so nothing
     * that happens between two calls is missed), a plain wait of {@code timeout} where it has not, so
     * that a caller that polls {@link #ready()} after each wait finds every plan either way.
     */
    @Override
    public void awaitChange(Duration timeout) throws InterruptedException {
        Optional<WatchService> events = watcher();
        if (events.isEmpty()) {
            Thread.sleep(timeout.toMillis());
            return;
        }
        WatchKey key = events.get().poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        while (key != null) {
            key.pollEvents();
            key.reset();
            key = events.get().poll();
        }
    }

    private synchronized Optional<WatchService> watcher() {
        if (watcher == null && !watchUnsupported) {
            try {
                watcher = approvedDir().getFileSystem().newWatchService();
                approvedDir()
                        .register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.info("no file-system events for {} ({}); polling", approvedDir(), e.toString());
                watchUnsupported = true;
                watcher = null;
            }
        }
        return Optional.ofNullable(watcher);
    }

    /** Stops watching {@code Approved/}. The store stays usable; a later wait watches again. */
    @Override
    public synchronized void close() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                LOG.debug("closing the watch of {}: {}", approvedDir(), e.toString());
            }
            watcher = null;
        }
    }

    private void dashboard(String line) throws IOException {
        Path dashboard = vault.resolve("Dashboard.md");
        try (FileChannel lockFile = FileChannel.open(
                vault.resolve(".dashboard.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = lockFile.lock();
            try {
                List<String> lines = new ArrayList<>(
                        Files.exists(dashboard)
                                ? Files.readAllLines(dashboard, StandardCharsets.UTF_8)
                                : List.of("# Dashboard", ""));
                int heading = lines.indexOf("## Recent Activity");
                if (heading < 0) {
                    lines.add("");
                    lines.add("## Recent Activity");
                    heading = lines.size() - 1;
                }
                lines.add(heading + 1, line);
                int end = heading + 1;
                while (end < lines.size() && lines.get(end).startsWith("- ")) {
                    end++;
                }
                if (end - heading - 1 > DASHBOARD_LINES) {
                    lines.subList(heading + 1 + DASHBOARD_LINES, end).clear();
                }
                AtomicFiles.write(dashboard, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
            } finally {
                lock.release();
            }
        }
    }

    private interface Edit {
        PlanDocument apply(PlanDocument document);
    }

    private static void edit(Path file, Edit edit) {
        try {
            AtomicFiles.write(
                    file, edit.apply(PlanDocument.of(Files.readAllBytes(file))).bytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update plan " + file, e);
        }
    }

    private String now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
