package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.core.internal.engine.Engine;
import dev.mcpplan.orchestrator.core.internal.engine.Priority;
import dev.mcpplan.orchestrator.core.internal.io.AtomicFiles;
import dev.mcpplan.orchestrator.core.internal.io.FileVersion;
import dev.mcpplan.orchestrator.core.internal.ledger.FileLedger;
import dev.mcpplan.orchestrator.core.internal.plan.PlanDocument;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import dev.mcpplan.orchestrator.spi.PlanStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * <p>Confinement: the store works only in the vault's own folders (one of them a symbolic link is a
 * {@link ConfigurationException}) and runs only regular files with a single link, read once after the
 * claim without following links. A symbolic link, hard link, directory, FIFO, device or socket named
 * {@code *.md}, an unreadable file and a file over 1 MiB are moved to {@code Failed/}, never opened or
 * read whole, with the reason in {@code NAME.error.txt} beside them; the other plans run. A file in
 * {@code Approved/} is taken only once it has been left unchanged for the settle time, so that a plan
 * still being written is never run as its first half. Values from a plan never change the structure of
 * what the store writes: front matter values are YAML-quoted, log and dashboard lines are one line each.
 *
 * <p>After a crash (SIGKILL at any moment) the next process that looks at the vault completes what the
 * dead one left: its temporary files are deleted, the Execution Log lines its journal has are written,
 * a plan whose verdict was written is moved on (not run again), and its dashboard line is written once.
 *
 * <p>Thread-safe. By default the settle time is 1 s.
 */
public final class VaultPlanStore implements PlanStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VaultPlanStore.class);
    private static final Pattern RETRY_AFTER = Pattern.compile("(?m)^retry_after:\\s*\"?([^\"\\s]+)");
    private static final Pattern PRIORITY = Pattern.compile("(?m)^priority:\\s*[\"']?([^\"'\\s#]+)");
    private static final Pattern FRONT_MATTER_END = Pattern.compile("(?m)^---\\s*$");
    /** How long a file in {@code Approved/} must stay unchanged before it is taken, by default. */
    public static final Duration DEFAULT_SETTLE = Duration.ofSeconds(1);

    private final Path vault;
    private final Clock clock;
    private final FileLedger ledger;
    private final Duration settle;
    private WatchService watcher;
    private boolean watchUnsupported;
    private final Map<Path, VaultJournal> running = new ConcurrentHashMap<>();
    private final Map<Path, Set<Integer>> interruptedSteps = new ConcurrentHashMap<>();
    /** The version of each running plan's file as this store last wrote it. */
    private final Map<Path, FileVersion> written = new ConcurrentHashMap<>();
    /** What each run has journaled and not yet written into its plan file. */
    private final Map<Path, Progress> unwritten = new ConcurrentHashMap<>();
    /**
     * How far a running plan's file may fall behind its journal: a step's result is written into the
     * file with the step if the file was last written this long ago, else with a later step or the
     * verdict. The journal has it on disk before the orchestrator goes on either way; a long plan of
     * quick steps is so not rewritten whole at every step.
     */
    private static final long FILE_LAG_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private static final long SETTLE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** For what the store writes of its own: the reason beside a plan it put aside. */
    private final Redactor redactor;

    private VaultPlanStore(Path vault, Clock clock, Duration settle, Redactor redactor) {
        this.redactor = redactor;
        this.vault = vault.toAbsolutePath().normalize();
        this.clock = clock;
        this.ledger = new FileLedger(this.vault.resolve(".orchestrator").resolve("ledger.jsonl"), clock);
        this.settle = settle;
        for (Path dir : folders()) {
            try {
                if (!Files.isSymbolicLink(dir)) {
                    Files.createDirectories(dir);
                }
                requireOwnFolder(dir);
                AtomicFiles.deleteStaleTemporaryFiles(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create vault folder " + dir, e);
            }
        }
    }

    /** Opens (and creates the folders of) a vault, with the default settle time of 1 s. */
    public static VaultPlanStore open(Path vault) {
        return open(vault, Clock.systemUTC());
    }

    public static VaultPlanStore open(Path vault, Clock clock) {
        return open(vault, clock, DEFAULT_SETTLE);
    }

    /**
     * Opens (and creates the folders of) a vault.
     *
     * @param settle how long a file in {@code Approved/} must stay unchanged (size, modification and
     *     status change time) before it is taken; zero takes files at once
     * @throws ConfigurationException if a folder of the vault is a symbolic link or not a folder
     * @throws IllegalArgumentException if {@code settle} is negative
     */
    public static VaultPlanStore open(Path vault, Clock clock, Duration settle) {
        return open(vault, clock, settle, Redactor.defaults());
    }

    /** The store of {@link McpPlanOrchestrator#openVault}: its reasons pass the orchestrator's own redactor. */
    static VaultPlanStore open(Path vault, Clock clock, Duration settle, Redactor redactor) {
        Objects.requireNonNull(settle, "settle");
        if (settle.isNegative()) {
            throw new IllegalArgumentException("settle must not be negative: " + settle);
        }
        return new VaultPlanStore(
                Objects.requireNonNull(vault, "vault"), Objects.requireNonNull(clock, "clock"), settle, redactor);
    }

    private List<Path> folders() {
        return List.of(approvedDir(), inProgressDir(), doneDir(), failedDir(), needsReviewDir(), logsDir());
    }

    /** The store moves files into and out of its folders: one that leads elsewhere would move files there. */
    private void requireOwnFolders() {
        folders().forEach(VaultPlanStore::requireOwnFolder);
    }

    private static void requireOwnFolder(Path dir) {
        if (Files.isSymbolicLink(dir)) {
            throw new ConfigurationException(
                    "vault folder " + dir + " is a symbolic link (to " + VaultEntry.linkTarget(dir)
                            + "); refused: plans are taken from and moved to the vault's own folders only");
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new ConfigurationException("vault folder " + dir + " is not a folder");
        }
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

    /**
     * {@inheritDoc}
     *
     * <p>A plan file is ready once it has been left unchanged for the settle time; this call waits up to
     * the settle time for the files that are younger, and leaves out those still changing after it.
     */
    @Override
    public List<String> ready() {
        requireOwnFolders();
        // a little past the settle time: a file that arrived just before this call settles just after it
        long deadline = System.nanoTime() + settle.toNanos() + (settle.isZero() ? 0 : SETTLE_MARGIN_NANOS);
        while (true) {
            Instant now = Instant.now(); // file times are the wall clock's, whatever clock the store has
            List<Queued> ready = new ArrayList<>();
            Duration wait = null;
            for (VaultEntry entry : entries(approvedDir())) {
                Duration left = entry.settledAfter(now, settle);
                if (left.isZero()) {
                    queued(entry).ifPresent(ready::add);
                } else if (wait == null || left.compareTo(wait) < 0) {
                    wait = left;
                }
            }
            long remaining = deadline - System.nanoTime();
            if (wait == null || remaining <= 0) {
                Instant at = clock.instant();
                ready.sort(Comparator.comparingDouble((Queued q) -> Priority.rank(q.level(), q.since(), at))
                        .thenComparing(Queued::due)
                        .thenComparing(Queued::since));
                return ready.stream().map(Queued::key).toList();
            }
            try {
                Thread.sleep(Math.max(1, Math.min(wait.toMillis() + 1, TimeUnit.NANOSECONDS.toMillis(remaining))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ready.stream().map(Queued::key).toList();
            }
        }
    }

    /** A plan file of {@code Approved/} that is due: its priority level, due time and arrival. */
    private record Queued(String key, int level, Instant due, Instant since) {}

    /** The plan entries in {@code dir} (any kind of file named {@code *.md}), oldest first. */
    private static List<VaultEntry> entries(Path dir) {
        List<VaultEntry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.md")) {
            for (Path file : files) {
                if (!file.getFileName().toString().startsWith(".")) {
                    try {
                        entries.add(VaultEntry.of(file));
                    } catch (NoSuchFileException gone) {
                        // claimed or moved meanwhile
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        entries.sort(Comparator.comparing((VaultEntry e) -> e.attributes().lastModifiedTime())
                .thenComparing(VaultEntry::name));
        return entries;
    }

    /**
     * The plan as the queue sees it, when its {@code retry_after} has passed: empty while it has not.
     * Only a plan file that can run is read for it; anything else is due at once, to be put aside by
     * {@link #claim}. A {@code priority} that is none of the words or numbers counts as medium here;
     * the run refuses it.
     */
    private Optional<Queued> queued(VaultEntry entry) {
        Instant arrived = entry.changed();
        if (entry.refusal().isPresent()) {
            return Optional.of(new Queued(entry.name(), 0, arrived, arrived));
        }
        String frontMatter;
        try {
            frontMatter = frontMatter(new String(
                    AtomicFiles.readRegularFile(entry.path(), PlanParser.MAX_PLAN_BYTES), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.of(new Queued(entry.name(), 0, arrived, arrived));
        }
        Instant due = arrived;
        Matcher retry = RETRY_AFTER.matcher(frontMatter);
        if (retry.find()) {
            try {
                due = Instant.parse(retry.group(1));
            } catch (DateTimeParseException e) {
                due = arrived; // the parser names the problem when the plan is claimed
            }
            if (due.isAfter(clock.instant())) {
                return Optional.empty();
            }
        }
        Matcher priority = PRIORITY.matcher(frontMatter);
        int level = priority.find() ? Priority.level(priority.group(1)).orElse(Priority.MEDIUM) : Priority.MEDIUM;
        return Optional.of(new Queued(entry.name(), level, due, arrived));
    }

    /** The front matter of a plan's text, between its first two {@code ---} lines; empty when it has none. */
    private static String frontMatter(String text) {
        if (!text.startsWith("---")) {
            return "";
        }
        Matcher end = FRONT_MATTER_END.matcher(text);
        return end.find(3) ? text.substring(0, end.start()) : "";
    }

    /** The name as a file name in one of the vault's folders: a key that is a path is refused. */
    private static String fileName(String key) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty()
                || key.equals(".")
                || key.equals("..")
                || key.contains("/")
                || key.contains("\\")
                || key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a plan file name: " + PlanDocument.oneLine(key));
        }
        return key;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Empty also when the file has not yet been left unchanged for the settle time, or changed while
     * it was claimed (its writer is still at it): then it is back in {@code Approved/}.
     */
    @Override
    public Optional<Plan> claim(String key) {
        Path source = approvedDir().resolve(fileName(key));
        VaultEntry before;
        Claim claim = new Claim();
        Path claimed;
        try {
            before = VaultEntry.of(source);
            if (!before.settledAfter(Instant.now(), settle).isZero()) {
                return Optional.empty();
            }
            if (before.attributes().isRegularFile()
                    && before.links() > 1
                    && sameFile(source, inProgressDir().resolve(source.getFileName()))) {
                return Optional.empty(); // a move between the two is half done: In_Progress/ completes it
            }
            claimed = AtomicFiles.moveWithoutOverwrite(source, inProgressDir(), claim::journalFor);
        } catch (NoSuchFileException lost) {
            claim.abandon();
            return Optional.empty();
        } catch (IOException e) {
            claim.abandon();
            throw new UncheckedIOException("cannot claim " + key, e);
        }
        byte[] content;
        Plan plan;
        try {
            content = readClaimed(claimed);
            if (changedSince(claimed, before, content)) {
                try {
                    AtomicFiles.moveWithoutOverwrite(claimed, approvedDir());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot give back " + claimed + ", still being written", e);
                }
                claim.abandon();
                return Optional.empty();
            }
            plan = parseOrMoveAside(claimed, content);
        } catch (RuntimeException e) {
            claim.abandon(); // the plan was put aside, given back, or is left to be resumed
            throw e;
        }
        running.put(claimed, claim.journal);
        Instant approvedAt = before.changed().truncatedTo(ChronoUnit.SECONDS);
        edit(claimed, d -> {
            PlanDocument out = d.withField("status", "in_progress")
                    .withField("started_at", now())
                    .withoutField("retry_after");
            // the approval's age counts from here on, also when the plan comes back to the queue
            return plan.approval().approvedAt().isPresent() ? out : out.withField("approved_at", approvedAt.toString());
        });
        return Optional.of(withApprovalTime(plan, approvedAt));
    }

    /**
     * The journal of a claim, locked before the plan takes its name in {@code In_Progress/}: a plan
     * there without a journal is never one that a live process is claiming, and of two processes that
     * race for one name, the one without the journal tries the next name.
     */
    private final class Claim {
        private VaultJournal journal;

        boolean journalFor(Path target) throws IOException {
            abandon(); // the name it held was taken meanwhile
            Optional<VaultJournal> fresh = VaultJournal.start(target);
            if (fresh.isEmpty()) {
                Optional<VaultJournal> orphan = VaultJournal.takeOver(target);
                if (orphan.isEmpty()) {
                    return false; // another process holds that name's journal
                }
                finishOrphan(orphan.get()); // a dead process's, whose plan moved on
                fresh = VaultJournal.start(target);
            }
            journal = fresh.orElse(null);
            return journal != null;
        }

        /** The claim did not happen, or was given back: its journal goes. */
        void abandon() {
            if (journal != null) {
                closeQuietly(journal, true);
                journal = null;
            }
        }
    }

    /** Whether a writer changed the file after it was seen settled: what was read may be its first half. */
    private static boolean changedSince(Path claimed, VaultEntry before, byte[] content) {
        try {
            VaultEntry after = VaultEntry.of(claimed);
            return content.length != before.attributes().size()
                    || after.attributes().size() != before.attributes().size()
                    || !after.attributes()
                            .lastModifiedTime()
                            .equals(before.attributes().lastModifiedTime());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look at " + claimed, e);
        }
    }

    /**
     * The bytes of a plan in {@code In_Progress/}, read once, without following links; an entry that is
     * not a plan file, or cannot be read, is moved to {@code Failed/} with the reason.
     *
     * @throws PlanFormatException saying why it was put aside
     */
    private byte[] readClaimed(Path file) {
        String refusal;
        try {
            Optional<String> refused = VaultEntry.of(file).refusal();
            for (int i = 0; i < 20 && refused.isPresent() && VaultEntry.of(file).links() > 1; i++) {
                // another process that raced for the same claim has its link there for a moment
                Thread.sleep(50);
                refused = VaultEntry.of(file).refusal();
            }
            if (refused.isEmpty()) {
                return AtomicFiles.readRegularFile(file, PlanParser.MAX_PLAN_BYTES);
            }
            refusal = refused.get();
        } catch (AtomicFiles.FileTooLargeException e) {
            refusal = "the file has grown past " + PlanParser.MAX_PLAN_BYTES / 1024 + " KiB; refused";
        } catch (IOException e) {
            refusal = "cannot be read: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            refusal = "has more than one hard link; refused";
        }
        throw putAside(file, new PlanFormatException(file.toString(), 0, refusal));
    }

    /** Parses a plan in {@code In_Progress/}; one that cannot be read is moved to {@code Failed/}, intact. */
    private Plan parseOrMoveAside(Path file, byte[] content) {
        try {
            return PlanParser.parse(file.toString(), content, file);
        } catch (PlanFormatException e) {
            throw putAside(file, e);
        }
    }

    /** Moves {@code file} to {@code Failed/} with {@code NAME.error.txt} beside it saying why; returns the why. */
    private PlanFormatException putAside(Path file, PlanFormatException why) {
        try {
            Path failed = AtomicFiles.moveWithoutOverwrite(file, failedDir());
            AtomicFiles.write(
                    failed.resolveSibling(failed.getFileName() + ".error.txt"),
                    (redactor.redact(why.getMessage()) + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException io) {
            throw new UncheckedIOException("cannot move unreadable plan " + file + " to " + failedDir(), io);
        }
        return why;
    }

    /** A plan file of {@code In_Progress/}, parsed from what is there now. */
    private static Plan parse(Path file) {
        try {
            return PlanParser.parse(
                    file.toString(), AtomicFiles.readRegularFile(file, PlanParser.MAX_PLAN_BYTES), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read plan " + file, e);
        }
    }

    /**
     * Plans in {@code In_Progress/} that this store is not running: interrupted, when no other process
     * holds their journal, which {@link #resume} finds out. A plan without a journal is interrupted: a
     * claim locks the journal before the plan arrives.
     */
    @Override
    public List<String> interrupted() {
        requireOwnFolders();
        cleanUpAfterDeadProcesses();
        List<String> keys = new ArrayList<>();
        for (VaultEntry entry : entries(inProgressDir())) {
            if (!running.containsKey(entry.path())) {
                keys.add(entry.name());
            }
        }
        return keys;
    }

    /**
     * What a process killed at any moment leaves: temporary files, and journals whose plan has left
     * {@code In_Progress/} (its last move happened; its dashboard line may not have been written).
     */
    private void cleanUpAfterDeadProcesses() {
        try {
            for (Path dir : List.of(inProgressDir(), failedDir(), vault)) {
                AtomicFiles.deleteStaleTemporaryFiles(dir);
            }
            for (Path plan : VaultJournal.orphans(inProgressDir())) {
                Optional<VaultJournal> orphan = VaultJournal.takeOver(plan);
                if (orphan.isPresent()) {
                    if (Files.exists(plan, LinkOption.NOFOLLOW_LINKS)) {
                        orphan.get().close(false); // a new plan of that name was claimed meanwhile
                    } else {
                        finishOrphan(orphan.get());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean up " + inProgressDir(), e);
        }
    }

    /** The journal of a plan that made its last move: the dashboard line is written (once), the journal deleted. */
    private void finishOrphan(VaultJournal journal) throws IOException {
        Optional<VaultJournal.Move> move = journal.read().move();
        if (move.isPresent()) {
            VaultDashboard.add(vault, move.get().dashboardLine());
        }
        journal.close(true);
    }

    /**
     * Takes over an interrupted run: the steps its journal says succeeded are checked in the file, and
     * their Execution Log lines written (if the process died before it could do so), and the steps that
     * started but did not succeed are reported by {@link #interruptedSteps}. A run that died while it
     * finished is finished here, not run again: empty.
     */
    @Override
    public Optional<Plan> resume(String key) {
        Path file = inProgressDir().resolve(fileName(key));
        VaultJournal journal;
        VaultJournal.State state;
        try {
            Optional<VaultJournal> taken = VaultJournal.takeOver(file);
            if (taken.isEmpty()) {
                return Optional.empty();
            }
            journal = taken.get();
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                finishOrphan(journal); // the plan has left In_Progress/ since it was listed
                return Optional.empty();
            }
            state = journal.read();
            if (completedInterruptedMove(file, journal, state)) {
                return Optional.empty();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take over the journal of " + file, e);
        }
        Plan plan;
        try {
            plan = parseOrMoveAside(file, readClaimed(file));
        } catch (PlanFormatException e) {
            closeQuietly(journal, true);
            throw e;
        }
        running.put(file, journal);
        Optional<PlanStatus> verdict = plan.status().filter(s -> s != PlanStatus.IN_PROGRESS);
        if (state.finishing() && verdict.isPresent()) {
            // the verdict is in the file already: only its last move was left to do
            moveToLastFolder(file, plan.id(), verdict.get());
            return Optional.empty();
        }
        interruptedSteps.put(file, Set.copyOf(state.interrupted()));
        edit(file, d -> {
            PlanDocument out = d;
            for (Step step : plan.steps()) {
                if (state.succeeded().contains(step.number()) && !step.checked()) {
                    out = out.withStepChecked(step.line());
                }
            }
            for (String line : state.logLines()) {
                if (!out.hasLogLine(line)) {
                    out = out.withLogLine(line); // journaled, but the process died before the file had it
                }
            }
            return out.withLogLine(now() + " resumed after an interruption; steps that started but did not"
                    + " finish: " + (state.interrupted().isEmpty() ? "none" : state.interrupted()));
        });
        return Optional.of(
                withApprovalTime(parse(file), plan.approval().approvedAt().orElse(null)));
    }

    @Override
    public Set<Integer> interruptedSteps(Plan plan) {
        return plan.source()
                .map(f -> interruptedSteps.getOrDefault(f, Set.of()))
                .orElse(Set.of());
    }

    @Override
    public void stepStarted(Plan plan, Step step, boolean safeToRepeat) {
        journal(plan, j -> j.started(step.number(), clock.instant(), safeToRepeat));
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
        FileVersion ours = written.get(file);
        try {
            if (ours != null && ours.equals(FileVersion.of(file))) {
                return Optional.of(plan); // nobody wrote it since this store did: nothing to read again
            }
        } catch (IOException e) {
            // read again below, which says what is wrong with the file
        }
        return Optional.of(
                withApprovalTime(parse(file), plan.approval().approvedAt().orElse(null)));
    }

    @Override
    public void stepFinished(Plan plan, Step step, StepResult result) {
        Path file = plan.source().orElseThrow();
        String line = PlanFormat.logLine(clock.instant(), step, result);
        journal(plan, j -> j.finished(step.number(), result.status(), clock.instant(), line));
        Progress progress = unwritten.computeIfAbsent(file, f -> new Progress());
        if (progress.add(result.status() == StepStatus.SUCCEEDED ? step.number() : 0, line) >= FILE_LAG_NANOS) {
            edit(file, d -> d);
        }
    }

    /**
     * The steps that succeeded and the Execution Log lines of one run, journaled but not yet in its
     * plan file.
     */
    private static final class Progress {
        private final List<Integer> succeeded = new ArrayList<>();
        private final List<String> logLines = new ArrayList<>();
        private long writtenAt = System.nanoTime();

        /** Adds a step's result (0: a step that did not succeed); how long ago the file was written. */
        synchronized long add(int succeededStep, String logLine) {
            if (succeededStep > 0) {
                succeeded.add(succeededStep);
            }
            logLines.add(logLine);
            return System.nanoTime() - writtenAt;
        }

        /** The document with what is not yet written, which is then taken as written. */
        synchronized PlanDocument applyTo(Path file, PlanDocument d) {
            PlanDocument out = d;
            if (!succeeded.isEmpty()) {
                // the file has gained front matter lines since it was parsed: find the steps where they are now
                List<Step> steps =
                        PlanParser.parse(file.toString(), d.bytes(), file).steps();
                out = out.withStepsChecked(succeeded.stream()
                        .filter(n -> n <= steps.size())
                        .map(n -> steps.get(n - 1).line())
                        .toList());
            }
            out = out.withLogLines(logLines);
            succeeded.clear();
            logLines.clear();
            writtenAt = System.nanoTime();
            return out;
        }
    }

    @Override
    public void finish(Plan plan, PlanResult result) {
        Path file = plan.source().orElseThrow();
        // before the verdict goes into the file: a process killed after that moves the plan on, never runs it again
        journal(plan, VaultJournal::finishing);
        edit(file, d -> {
            PlanDocument out = d.withField("status", result.status().wireName()).withField("completed_at", now());
            if (result.error().isPresent()) {
                out = out.withField("error", result.error().get());
            }
            if (result.retryAfter().isPresent()) {
                out = out.withField("retry_after", result.retryAfter().get().toString());
            }
            if (result.reschedules() > 0) {
                out = out.withField(Engine.RESCHEDULES, result.reschedules());
            }
            if (result.rescheduledSince().isPresent()) {
                out = out.withField(
                        Engine.RESCHEDULED_SINCE,
                        result.rescheduledSince().get().toString());
            }
            return out.withLogLine(now() + " plan " + result.status().wireName()
                    + result.error().map(e -> ": " + e).orElse(""));
        });
        moveToLastFolder(file, plan.id(), result.status());
    }

    /**
     * Moves a finished plan to the folder of its status, then writes its dashboard line; the journal
     * records the move first, so that a process killed at any moment leaves a journal that says what is
     * left to do.
     */
    private void moveToLastFolder(Path file, String planId, PlanStatus status) {
        Path target = switch (status) {
            case COMPLETED -> doneDir();
            case NEEDS_REVIEW -> needsReviewDir();
            case RETRY_SCHEDULED -> approvedDir();
            default -> failedDir();
        };
        VaultJournal journal = running.remove(file);
        interruptedSteps.remove(file);
        written.remove(file);
        unwritten.remove(file);
        String at = now();
        boolean moved = false;
        try {
            Path to = AtomicFiles.moveWithoutOverwrite(file, target, next -> {
                if (journal != null) {
                    journal.moving(new VaultJournal.Move(relative(next), dashboardLine(at, planId, status, next)));
                }
                return true;
            });
            moved = true;
            VaultDashboard.add(vault, dashboardLine(at, planId, status, to));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + file + " to " + target, e);
        } finally {
            if (journal != null) {
                closeQuietly(journal, moved);
            }
        }
    }

    /**
     * A process killed between the two halves of a move (link, then unlink) leaves the plan under two
     * names: in {@code In_Progress/} and where it was going. A move out of {@code In_Progress/} (the one
     * the journal recorded, or one into {@code Done/}, {@code Failed/} or {@code Needs_Review/}) is
     * completed, and true returned; a claim into it is completed by removing the name in
     * {@code Approved/}, and the plan resumed.
     */
    private boolean completedInterruptedMove(Path file, VaultJournal journal, VaultJournal.State state)
            throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                || VaultEntry.of(file).links() < 2) {
            return false;
        }
        Optional<Path> recorded = state.move().map(m -> vault.resolve(m.target()));
        List<Path> names = new ArrayList<>();
        recorded.ifPresent(names::add);
        for (Path dir : List.of(doneDir(), failedDir(), needsReviewDir(), approvedDir())) {
            names.add(dir.resolve(file.getFileName()));
        }
        for (Path twin : names) {
            if (Files.isRegularFile(twin, LinkOption.NOFOLLOW_LINKS) && sameFile(file, twin)) {
                if (recorded.filter(twin::equals).isPresent()
                        || !twin.getParent().equals(approvedDir())) {
                    Files.delete(file);
                    finishOrphan(journal);
                    return true;
                }
                Files.delete(twin);
            }
        }
        return false;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private String relative(Path file) {
        return vault.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    /** The dashboard's line for a finished plan: one line, whatever the plan id or file name holds. */
    private String dashboardLine(String at, String planId, PlanStatus status, Path moved) {
        return "- " + at + " " + PlanDocument.oneLine(planId) + ": " + status.wireName() + " -> "
                + PlanDocument.oneLine(relative(moved));
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

    private interface Edit {
        PlanDocument apply(PlanDocument document);
    }

    /**
     * Rewrites a plan file of {@code In_Progress/}: what its run has not yet written into it, then
     * {@code edit}. The version written is kept, so that {@link #current} can tell that nobody else
     * wrote the file since without reading it.
     */
    private void edit(Path file, Edit edit) {
        // a running plan's progress counts from the write of its claim; its steps may finish at once
        Progress progress =
                running.containsKey(file) ? unwritten.computeIfAbsent(file, f -> new Progress()) : unwritten.get(file);
        if (progress == null) {
            write(file, edit, null);
        } else {
            synchronized (progress) {
                write(file, edit, progress);
            }
        }
    }

    private void write(Path file, Edit edit, Progress progress) {
        try {
            PlanDocument document = PlanDocument.of(AtomicFiles.readRegularFile(file, PlanParser.MAX_PLAN_BYTES));
            Optional<FileVersion> version = AtomicFiles.writeVersion(
                    file,
                    edit.apply(progress == null ? document : progress.applyTo(file, document))
                            .bytes());
            if (version.isPresent() && running.containsKey(file)) {
                written.put(file, version.get());
            } else {
                written.remove(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update plan " + file, e);
        }
    }

    private String now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
