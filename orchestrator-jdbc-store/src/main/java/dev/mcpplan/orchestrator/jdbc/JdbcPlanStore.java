package dev.mcpplan.orchestrator.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.StepResult;
import dev.mcpplan.orchestrator.StepStatus;
import dev.mcpplan.orchestrator.core.PlanFormat;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import dev.mcpplan.orchestrator.spi.PlanStore;
import dev.mcpplan.orchestrator.spi.PlanTakenOverException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link PlanStore} in a PostgreSQL database that any number of orchestrator instances share: one
 * queue, claims without a global lock, leases that pass to another instance when the one holding
 * them dies, and a fence that keeps an instance that wakes up late from writing over the new owner.
 *
 * <p>A plan enters the store with {@link #submit}: its markdown as approved (never changed after: a
 * trigger refuses it), its plan id as its key, its priority. An instance claims the next plans in the
 * queue's order (priority, a level gained per {@link PlanFormat#PRIORITY_AGING} waited, then due time,
 * then age) with {@code SELECT ... FOR UPDATE SKIP LOCKED}, and takes a lease of {@link Builder#lease}
 * on each, renewed by a heartbeat every third of it while the plan runs. Every write for the plan (a
 * step's start, its result, the end) is made under a lock on the plan's row and only while the
 * plan's fence is still the one this instance's claim gave it. When a lease runs out (its instance
 * died, hung or was paused), another instance takes the plan over as the vault's resume does: the
 * steps that succeeded are checked, a step that started and did not finish is repeated only if its
 * tool is idempotent or read-only, else the plan needs review; the fence moves on, so that the first
 * instance's late writes are refused with a {@link PlanTakenOverException}.
 *
 * <p>Approvals are consumed in the database ({@link #ledger()}), so one approval runs once across all
 * instances. The schema is created and migrated by Flyway, in the tables {@code mcp_plan},
 * {@code mcp_plan_journal} and {@code mcp_approval_run} (history in {@code mcp_schema_history}).
 *
 * <p>Thread-safe; close it to stop the heartbeat and, when the store made its own pool, the pool.
 */
public final class JdbcPlanStore implements PlanStore, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcPlanStore.class);
    /** The channel on which a submit tells waiting instances that a plan is queued. */
    private static final String CHANNEL = "mcp_plan_queued";

    private static final Pattern CREDENTIALS = Pattern.compile("(?i)(//[^/@?;]*@)|((?:password|user)=)[^&;]*");
    private static final int KEY_LIMIT = 200;

    private final DataSource data;
    private final HikariDataSource ownPool;
    private final String id;
    private final String owner;
    private final Duration lease;
    private final int batch;
    private final ConcurrentMap<String, Lease> held = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Set<Integer>> interrupted = new ConcurrentHashMap<>();
    /** Plans {@link #ready} took for this instance, until {@link #claim} hands them over; in order. */
    private final Map<String, Taken> claimed = new LinkedHashMap<>();
    /** Plans {@link #interrupted} took over for this instance, until {@link #resume} hands them over. */
    private final Map<String, Taken> resumed = new LinkedHashMap<>();
    /** The steps running here that are safe to repeat ({@code KEY#STEP}): their records are not forced. */
    private final Set<String> unforced = ConcurrentHashMap.newKeySet();

    private final ScheduledExecutorService heartbeat;
    private final JdbcApprovalLedger ledger;
    private final Object listening = new Object();
    private Connection listener;

    /** The lease this instance holds on a plan it runs: the fence its claim gave, and whether it was lost. */
    static final class Lease {
        final long fence;
        volatile boolean lost;

        Lease(long fence) {
            this.fence = fence;
        }
    }

    private JdbcPlanStore(Builder b) {
        this.lease = b.lease;
        this.batch = b.batch;
        this.owner = b.instance != null ? b.instance : defaultInstanceName();
        if (b.dataSource != null) {
            this.data = b.dataSource;
            this.ownPool = null;
            this.id = "jdbc:" + b.dataSource.getClass().getSimpleName();
        } else {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(b.url);
            config.setUsername(b.user);
            config.setPassword(b.password);
            config.setMaximumPoolSize(b.poolSize);
            config.setPoolName("mcp-plan-store");
            // a session paused inside a transaction lets go of its row locks after a lease, so that
            // another instance can take its plans over
            config.setConnectionInitSql("SET idle_in_transaction_session_timeout = " + lease.toMillis());
            this.ownPool = new HikariDataSource(config);
            this.data = ownPool;
            this.id = withoutCredentials(b.url);
        }
        try {
            Flyway.configure()
                    .dataSource(data)
                    .table("mcp_schema_history")
                    .locations("classpath:dev/mcpplan/orchestrator/jdbc/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            closePool();
            throw new IllegalStateException(
                    "cannot create or migrate the plan store's tables in " + id + ": "
                            + withoutCredentials(String.valueOf(e.getMessage())),
                    e);
        }
        this.ledger = new JdbcApprovalLedger(this);
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mcp-plan-store-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, lease.toMillis() / 3);
        heartbeat.scheduleWithFixedDelay(this::renewLeases, every, every, TimeUnit.MILLISECONDS);
    }

    /** A store on the database at {@code jdbcUrl}, with a connection pool of its own (HikariCP). */
    public static Builder builder(String jdbcUrl) {
        Builder b = new Builder();
        b.url = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        return b;
    }

    /** A store on the host's own pool; the store does not close it. */
    public static Builder builder(DataSource dataSource) {
        Builder b = new Builder();
        b.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        return b;
    }

    /** The JDBC URL or data source, without user or password. */
    @Override
    public String id() {
        return id;
    }

    /** The name this instance's claims are made under (the {@code owner} of the plans it runs). */
    public String instance() {
        return owner;
    }

    /** The lease time: how long a plan stays this instance's without a heartbeat. */
    public Duration lease() {
        return lease;
    }

    // ---------------------------------------------------------------------------------------------
    // submitting

    /**
     * Puts an approved plan into the queue, under its plan id.
     *
     * @param name the plan's name in messages (a file name, say)
     * @param markdown the plan as approved; its front matter must say {@code status: approved}
     * @return the plan's key in the store: its plan id
     * @throws PlanFormatException if the plan cannot be read, is not approved, or its plan id is taken
     */
    public String submit(String name, String markdown) {
        return submit(name, markdown, false);
    }

    /** Reads a plan file and {@linkplain #submit(String, String) submits} it. */
    public String submit(Path file) {
        return submit(file.toString(), read(file), false);
    }

    /**
     * Moves every plan file of a vault's {@code Approved/} folder into the store: each is submitted, then
     * deleted from the folder. Being in {@code Approved/} is the approval, as for the vault's own store,
     * so the front matter's status is not asked for. A file that cannot be submitted stays where it is.
     *
     * @return the keys submitted, and the files left with why
     */
    public ImportResult importApproved(Path vault) {
        Path approved = vault.resolve("Approved");
        List<String> keys = new ArrayList<>();
        List<String> left = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(approved, "*.md")) {
            list.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + approved, e);
        }
        files.sort(null);
        for (Path file : files) {
            try {
                keys.add(submit(file.toString(), read(file), true));
                Files.delete(file);
            } catch (PlanFormatException | UncheckedIOException e) {
                left.add(file + ": " + e.getMessage());
            } catch (IOException e) {
                left.add(file + ": submitted, but cannot be deleted: " + e);
            }
        }
        return new ImportResult(keys, left);
    }

    /** What {@link #importApproved} did: the keys submitted, and each file left behind with why. */
    public record ImportResult(List<String> submitted, List<String> left) {}

    private static String read(Path file) {
        try {
            if (Files.size(file) > PlanFormat.MAX_PLAN_BYTES) {
                throw new PlanFormatException(
                        file.toString(), 0, "is larger than " + PlanFormat.MAX_PLAN_BYTES + " bytes");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read plan " + file, e);
        }
    }

    private String submit(String name, String markdown, boolean approvedByFolder) {
        Plan plan = PlanFormat.parse(name, markdown);
        if (!approvedByFolder && plan.status().orElse(null) != PlanStatus.APPROVED) {
            throw new PlanFormatException(
                    name,
                    0,
                    "its status is " + plan.status().map(PlanStatus::wireName).orElse("missing")
                            + ", not approved: only an approved plan goes into the store");
        }
        String key = plan.id();
        if (key.isEmpty() || key.length() > KEY_LIMIT || key.chars().anyMatch(Character::isISOControl)) {
            throw new PlanFormatException(
                    name, 0, "its plan id must be 1 to " + KEY_LIMIT + " characters, none of them a control character");
        }
        int priority = PlanFormat.priority(plan);
        boolean inserted = inTransaction(c -> {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO mcp_plan (plan_key, plan_id, markdown, state, priority, queue_rank, due_at,"
                            + " submitted_at) VALUES (?, ?, ?, 'queued', ?, extract(epoch FROM now()) + ? * ?, now(),"
                            + " now()) ON CONFLICT (plan_key) DO NOTHING")) {
                insert.setString(1, key);
                insert.setString(2, plan.id());
                insert.setString(3, markdown);
                insert.setInt(4, priority);
                insert.setInt(5, priority);
                insert.setLong(6, PlanFormat.PRIORITY_AGING.toSeconds());
                if (insert.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement notify = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                notify.setString(1, CHANNEL);
                notify.setString(2, key);
                notify.execute();
            }
            return true;
        });
        if (!inserted) {
            throw new PlanFormatException(name, 0, "plan id " + key + " is already in the store " + id);
        }
        return key;
    }

    // ---------------------------------------------------------------------------------------------
    // the queue

    /**
     * {@inheritDoc}
     *
     * <p>The next {@link Builder#batch} plans in the queue's order are claimed here, in one statement
     * ({@code FOR UPDATE SKIP LOCKED}, so that instances taking plans at the same moment take different
     * ones), and {@link #claim} hands each over. Their leases are renewed until then; {@link #close} puts
     * back those not handed over.
     */
    @Override
    public List<String> ready() {
        return takeNext("state = 'queued' AND due_at <= now()", "queue_rank, due_at, submitted_at", claimed, false);
    }

    /**
     * {@inheritDoc} The plans whose lease ran out (their instance died, hung or was paused), taken over
     * here as {@link #ready} claims, and handed over by {@link #resume}.
     */
    @Override
    public List<String> interrupted() {
        return takeNext("state = 'running' AND lease_until < now()", "lease_until, plan_key", resumed, true);
    }

    @Override
    public Optional<Plan> claim(String key) {
        return handOver(key, claimed, "state = 'queued' AND due_at <= now()", false);
    }

    @Override
    public Optional<Plan> resume(String key) {
        return handOver(key, resumed, "state = 'running' AND lease_until < now()", true);
    }

    /** A plan taken for this instance and not yet handed over: the plan, or why it cannot be read. */
    private record Taken(Plan plan, PlanFormatException unreadable) {}

    private Optional<Plan> handOver(String key, Map<String, Taken> waiting, String condition, boolean resuming) {
        Taken taken;
        synchronized (waiting) {
            taken = waiting.remove(key);
            if (taken == null
                    && !take("plan_key = ? AND " + condition, "plan_key", key, 1, waiting, resuming)
                            .isEmpty()) {
                taken = waiting.remove(key);
            }
        }
        if (taken == null) {
            return Optional.empty();
        }
        if (taken.unreadable() != null) {
            throw taken.unreadable();
        }
        return Optional.of(taken.plan());
    }

    /** The plans taken and not yet handed over, then as many more as the batch has room for. */
    private List<String> takeNext(String condition, String order, Map<String, Taken> waiting, boolean resuming) {
        synchronized (waiting) {
            List<String> keys = new ArrayList<>(waiting.keySet());
            int room = batch - keys.size();
            if (room > 0) {
                keys.addAll(take(condition, order, null, room, waiting, resuming));
            }
            return keys;
        }
    }

    /**
     * Takes the plans that match {@code condition}, at most {@code limit}, in {@code order}, under a new fence and
     * lease each, skipping rows another instance is taking at this moment; keeps them in {@code waiting}.
     *
     * @param key the one key the condition names, or null
     * @return their keys, in order
     */
    private List<String> take(
            String condition, String order, String key, int limit, Map<String, Taken> waiting, boolean resuming) {
        record Row(long place, String key, long fence, String markdown, Instant submitted) {}
        record Batch(List<Row> rows, Map<String, Map<Integer, String>> last) {}
        Batch batch = inTransaction(c -> {
            List<Row> rows = new ArrayList<>();
            try (PreparedStatement update = c.prepareStatement("WITH next AS (SELECT plan_key, row_number() OVER"
                    + " (ORDER BY " + order + ") AS place FROM mcp_plan WHERE plan_key IN (SELECT plan_key FROM"
                    + " mcp_plan WHERE " + condition + " ORDER BY " + order + " LIMIT " + limit
                    + " FOR UPDATE SKIP LOCKED))"
                    + " UPDATE mcp_plan p SET state = 'running', owner = ?, fence = p.fence + 1,"
                    + " lease_until = now() + ? * interval '1 millisecond', runs = p.runs + 1 FROM next"
                    + " WHERE p.plan_key = next.plan_key"
                    + " RETURNING p.plan_key, p.fence, p.markdown, p.submitted_at, next.place")) {
                int i = 1;
                if (key != null) {
                    update.setString(i++, key);
                }
                update.setString(i++, owner);
                update.setLong(i, lease.toMillis());
                try (ResultSet row = update.executeQuery()) {
                    while (row.next()) {
                        rows.add(new Row(
                                row.getLong(5),
                                row.getString(1),
                                row.getLong(2),
                                row.getString(3),
                                row.getTimestamp(4).toInstant()));
                    }
                }
            }
            rows.sort(Comparator.comparingLong(Row::place));
            return new Batch(
                    rows,
                    rows.isEmpty()
                            ? Map.of()
                            : lastEvents(c, rows.stream().map(Row::key).toList()));
        });
        List<String> keys = new ArrayList<>();
        for (Row row : batch.rows()) {
            held.put(row.key(), new Lease(row.fence()));
            waiting.put(
                    row.key(),
                    prepared(
                            row.key(),
                            row.fence(),
                            row.markdown(),
                            row.submitted(),
                            batch.last().getOrDefault(row.key(), Map.of()),
                            resuming));
            keys.add(row.key());
        }
        return keys;
    }

    /** A plan just taken, ready to hand over: read, its succeeded steps checked, its uncertain ones noted. */
    private Taken prepared(
            String key, long fence, String markdown, Instant submitted, Map<Integer, String> last, boolean resuming) {
        Plan plan;
        try {
            plan = PlanFormat.parse(key, markdown);
        } catch (PlanFormatException e) {
            putAside(key, fence, e.getMessage());
            return new Taken(null, e);
        }
        Set<Integer> succeeded = new HashSet<>();
        Set<Integer> uncertain = new LinkedHashSet<>();
        last.forEach((step, event) -> {
            // started and not finished, or finished with its outcome unknown: it may have happened
            if (event.equals("started") || event.equals(StepStatus.OUTCOME_UNKNOWN.name())) {
                uncertain.add(step);
            } else if (event.equals(StepStatus.SUCCEEDED.name())) {
                succeeded.add(step);
            }
        });
        if (resuming) {
            interrupted.put(key, Set.copyOf(uncertain));
            LOG.info(
                    "plan {} taken over by {} (fence {}); steps that started but did not finish: {}",
                    key,
                    owner,
                    fence,
                    uncertain.isEmpty() ? "none" : uncertain);
        }
        return new Taken(prepared(plan, submitted, succeeded), null);
    }

    /** Each step's last journal event, of each plan: {@code started}, or the status it finished with. */
    private static Map<String, Map<Integer, String>> lastEvents(Connection c, List<String> keys) throws SQLException {
        Map<String, Map<Integer, String>> last = new HashMap<>();
        try (PreparedStatement select = c.prepareStatement("SELECT DISTINCT ON (plan_key, step) plan_key, step,"
                + " event, status FROM mcp_plan_journal WHERE plan_key = ANY (?) ORDER BY plan_key, step, seq DESC")) {
            select.setArray(1, c.createArrayOf("text", keys.toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    last.computeIfAbsent(rows.getString(1), k -> new HashMap<>())
                            .put(rows.getInt(2), rows.getString(3).equals("started") ? "started" : rows.getString(4));
                }
            }
        }
        return last;
    }

    /**
     * The plan as it runs: the steps that succeeded in an earlier run checked, and, when its front
     * matter has no {@code approved_at}, the time it was submitted (approved into the store) as that.
     */
    private static Plan prepared(Plan plan, Instant submitted, Set<Integer> succeeded) {
        Plan.Builder out = plan.toBuilder();
        if (plan.approval().approvedAt().isEmpty()) {
            out.approval(plan.approval().toBuilder().approvedAt(submitted).build());
        }
        if (!succeeded.isEmpty()) {
            out.steps(plan.steps().stream()
                    .map(s -> succeeded.contains(s.number()) && !s.checked()
                            ? s.toBuilder().checked(true).build()
                            : s)
                    .toList());
        }
        return out.build();
    }

    /** A plan that cannot be read any more: failed, with why, so that it does not come back. */
    private void putAside(String key, long fence, String why) {
        held.remove(key);
        inTransaction(c -> {
            try (PreparedStatement update = c.prepareStatement("UPDATE mcp_plan SET state = 'failed', owner = NULL,"
                    + " lease_until = NULL, outcome = ?, finished_at = now() WHERE plan_key = ? AND fence = ?")) {
                update.setString(1, "cannot be read: " + why);
                update.setString(2, key);
                update.setLong(3, fence);
                update.executeUpdate();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------------------------------------
    // a run's writes, under its fence

    /** {@inheritDoc} The store knows: a plan's markdown never changes once submitted. */
    @Override
    public Optional<Plan> current(Plan plan) {
        lease(plan.id());
        return Optional.of(plan);
    }

    @Override
    public Set<Integer> interruptedSteps(Plan plan) {
        return interrupted.getOrDefault(plan.id(), Set.of());
    }

    @Override
    public Optional<ApprovalLedger> ledger() {
        return Optional.of(ledger);
    }

    /**
     * {@inheritDoc} Committed before the call; a step that is safe to repeat is committed without
     * waiting for the database's disk ({@code synchronous_commit = off}), and so is its result.
     */
    @Override
    public void stepStarted(Plan plan, Step step, boolean safeToRepeat) {
        String key = plan.id();
        if (safeToRepeat) {
            unforced.add(key + "#" + step.number());
        }
        journal(key, step.number(), "started", null, null, safeToRepeat);
    }

    @Override
    public void stepFinished(Plan plan, Step step, StepResult result) {
        boolean safe = unforced.remove(plan.id() + "#" + step.number());
        journal(
                plan.id(),
                step.number(),
                "finished",
                result.status().name(),
                PlanFormat.logLine(Instant.now(), step, result),
                safe);
    }

    private void journal(String key, int step, String event, String status, String line, boolean safe) {
        fenced(
                key,
                safe,
                "INSERT INTO mcp_plan_journal (plan_key, fence, step, event, status, at, log_line)"
                        + " SELECT plan_key, fence, ?::integer, ?::text, ?::text, now(), ?::text FROM mcp_plan"
                        + " WHERE {fence} FOR UPDATE",
                step,
                event,
                status,
                line);
    }

    /**
     * {@inheritDoc} Completed, failed and needing review are the plan's end; a rescheduled plan goes back
     * to the queue, due at its {@code retry_after}.
     */
    @Override
    public void finish(Plan plan, PlanResult result) {
        String state = switch (result.status()) {
            case COMPLETED -> "completed";
            case NEEDS_REVIEW -> "needs_review";
            case RETRY_SCHEDULED -> "queued";
            default -> "failed";
        };
        // unforced: lost in a crash of the database, the plan is taken over again, and its journal,
        // forced where it matters, says what is done
        fenced(
                plan.id(),
                true,
                "UPDATE mcp_plan SET state = ?, owner = NULL, lease_until = NULL, outcome = ?,"
                        + " due_at = coalesce(?::timestamptz, due_at), finished_at = CASE WHEN ?::text = 'queued'"
                        + " THEN NULL ELSE now() END WHERE {fence}",
                state,
                result.status().wireName() + result.error().map(e -> ": " + e).orElse(""),
                result.retryAfter().map(Timestamp::from).orElse(null),
                state);
        held.remove(plan.id());
        interrupted.remove(plan.id());
    }

    /**
     * One statement, committed alone, that writes for the plan only while its fence is still this
     * instance's: {@code {fence}} in it stands for that condition on {@code mcp_plan}, whose parameters
     * (the key and the fence) come after {@code values}. Unforced, its commit does not wait for the disk
     * ({@code synchronous_commit} off for that transaction). Nothing written means the plan was taken over.
     */
    private void fenced(String key, boolean unforced, String sql, Object... values) {
        Lease lease = lease(key);
        String statement = sql.replace(
                "{fence}",
                "plan_key = ? AND fence = ?"
                        + (unforced ? " AND set_config('synchronous_commit', 'off', true) IS NOT NULL" : ""));
        int written = committed(c -> {
            try (PreparedStatement write = c.prepareStatement(statement)) {
                for (int i = 0; i < values.length; i++) {
                    write.setObject(i + 1, values[i]);
                }
                write.setString(values.length + 1, key);
                write.setLong(values.length + 2, lease.fence);
                return write.executeUpdate();
            }
        });
        if (written == 0) {
            lease.lost = true;
            throw new PlanTakenOverException("plan " + key + " was taken over: its fence is no longer this instance's "
                    + lease.fence + " (" + owner + "); now: " + holder(key));
        }
    }

    /** Who holds the plan now, for messages. */
    private String holder(String key) {
        return inTransaction(c -> {
            try (PreparedStatement select =
                    c.prepareStatement("SELECT state, fence, owner FROM mcp_plan WHERE plan_key = ?")) {
                select.setString(1, key);
                try (ResultSet row = select.executeQuery()) {
                    return row.next()
                            ? row.getString(1) + " under fence " + row.getLong(2)
                                    + (row.getString(3) == null ? "" : " on " + row.getString(3))
                            : "gone";
                }
            }
        });
    }

    /** This instance's lease on the plan, or a {@link PlanTakenOverException} when it has none any more. */
    Lease lease(String key) {
        Lease lease = held.get(key);
        if (lease == null || lease.lost) {
            throw new PlanTakenOverException(
                    "plan " + key + " is no longer this instance's (" + owner + "): its lease ran out");
        }
        return lease;
    }

    /** Every third of the lease: the leases of the plans running here, extended; those lost, marked. */
    private void renewLeases() {
        if (held.isEmpty()) {
            return;
        }
        Map<String, Lease> leases = Map.copyOf(held);
        try {
            Set<String> renewed = inTransaction(c -> {
                Set<String> keys = new HashSet<>();
                try (PreparedStatement update = c.prepareStatement("UPDATE mcp_plan SET lease_until = now() + ?"
                        + " * interval '1 millisecond' WHERE plan_key = ? AND owner = ? AND fence = ?"
                        + " AND state = 'running'")) {
                    for (Map.Entry<String, Lease> e : leases.entrySet()) {
                        update.setLong(1, lease.toMillis());
                        update.setString(2, e.getKey());
                        update.setString(3, owner);
                        update.setLong(4, e.getValue().fence);
                        update.addBatch();
                    }
                    int[] counts = update.executeBatch();
                    int i = 0;
                    for (String key : leases.keySet()) {
                        if (counts[i++] > 0) {
                            keys.add(key);
                        }
                    }
                }
                return keys;
            });
            leases.forEach((key, l) -> {
                if (!renewed.contains(key) && held.get(key) == l) {
                    l.lost = true;
                    LOG.warn("plan {}: this instance's lease on it is gone; another instance has it now", key);
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("cannot renew the leases of {} plans in {}: {}", leases.size(), id, e.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // waiting

    /**
     * {@inheritDoc} Woken by a submit on any instance ({@code LISTEN}), and by the next due time of a
     * rescheduled plan or the next lease to run out.
     */
    @Override
    public void awaitChange(Duration timeout) throws InterruptedException {
        long wait = Math.max(0, timeout.toMillis());
        try {
            Long untilNext = inTransaction(c -> {
                try (Statement s = c.createStatement();
                        ResultSet row = s.executeQuery("SELECT extract(epoch FROM least("
                                + "(SELECT min(due_at) FROM mcp_plan WHERE state = 'queued'),"
                                + "(SELECT min(lease_until) FROM mcp_plan WHERE state = 'running')) - now()) * 1000")) {
                    row.next();
                    double ms = row.getDouble(1);
                    return row.wasNull() ? null : (long) Math.max(0, Math.ceil(ms));
                }
            });
            if (untilNext != null) {
                wait = Math.min(wait, untilNext + 1);
            }
            synchronized (listening) {
                if (listener == null) {
                    listener = data.getConnection();
                    listener.setAutoCommit(true);
                    try (Statement s = listener.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                }
                if (wait > 0) {
                    listener.unwrap(PGConnection.class).getNotifications((int) Math.min(wait, Integer.MAX_VALUE));
                }
            }
        } catch (SQLException e) {
            closeListener();
            LOG.warn("cannot listen for new plans in {}: {}; polling instead", id, e.toString());
            Thread.sleep(Math.min(wait, 1000));
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // looking

    /** One plan in the store, as {@link #list} and {@link #show} give it. */
    public record Entry(
            String key,
            String status,
            int priority,
            Instant submittedAt,
            Instant dueAt,
            int runs,
            Optional<String> owner,
            Optional<String> outcome) {}

    /** A plan's steps and its Execution Log, as {@link #show} gives them. */
    public record Details(Entry entry, String markdown, Map<Integer, String> steps, List<String> executionLog) {}

    /**
     * Every plan in the store, in the order they were submitted; a status of {@code queued},
     * {@code retry_scheduled} (queued again after a failure that may pass), {@code running},
     * {@code completed}, {@code failed} or {@code needs_review}.
     */
    public List<Entry> list() {
        return inTransaction(c -> {
            List<Entry> entries = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet rows = s.executeQuery(ENTRY + " ORDER BY submitted_at, plan_key")) {
                while (rows.next()) {
                    entries.add(entry(rows));
                }
            }
            return entries;
        });
    }

    /** One plan: its entry, its markdown, each step's last status and its Execution Log. */
    public Optional<Details> show(String key) {
        return inTransaction(c -> {
            Entry entry;
            String markdown;
            try (PreparedStatement select = c.prepareStatement(ENTRY + " WHERE plan_key = ?")) {
                select.setString(1, key);
                try (ResultSet row = select.executeQuery()) {
                    if (!row.next()) {
                        return Optional.empty();
                    }
                    entry = entry(row);
                    markdown = row.getString("markdown");
                }
            }
            Map<Integer, String> steps = new TreeMap<>();
            lastEvents(c, List.of(key))
                    .getOrDefault(key, Map.of())
                    .forEach((step, last) -> steps.put(step, last.toLowerCase(Locale.ROOT)));
            List<String> log = new ArrayList<>();
            try (PreparedStatement select = c.prepareStatement("SELECT log_line FROM mcp_plan_journal"
                    + " WHERE plan_key = ? AND log_line IS NOT NULL ORDER BY seq")) {
                select.setString(1, key);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        log.add(rows.getString(1));
                    }
                }
            }
            return Optional.of(new Details(entry, markdown, steps, log));
        });
    }

    private static final String ENTRY =
            "SELECT plan_key, state, priority, submitted_at, due_at, runs, owner," + " outcome, markdown FROM mcp_plan";

    private static Entry entry(ResultSet row) throws SQLException {
        String state = row.getString("state");
        int runs = row.getInt("runs");
        return new Entry(
                row.getString("plan_key"),
                state.equals("queued") && runs > 0 ? "retry_scheduled" : state,
                row.getInt("priority"),
                row.getTimestamp("submitted_at").toInstant(),
                row.getTimestamp("due_at").toInstant(),
                runs,
                Optional.ofNullable(row.getString("owner")),
                Optional.ofNullable(row.getString("outcome")));
    }

    // ---------------------------------------------------------------------------------------------
    // plumbing

    /** Work in one transaction. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** One statement's work, committed as it runs (the connection in auto-commit). */
    private <T> T committed(Work<T> work) {
        try (Connection c = data.getConnection()) {
            c.setAutoCommit(true);
            return work.run(c);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private UncheckedIOException failure(SQLException e) {
        return new UncheckedIOException(
                new IOException("plan store " + id + ": " + withoutCredentials(String.valueOf(e.getMessage())), e));
    }

    <T> T inTransaction(Work<T> work) {
        return inTransaction(false, work);
    }

    /**
     * Work in one transaction; unforced, its commit does not wait for the database's disk: for what a
     * crash of the database may lose because the next forced commit (a step that is not safe to repeat
     * starting) writes it first, or because a plan taken over again reads the journal anyway.
     */
    <T> T inTransaction(boolean unforced, Work<T> work) {
        try (Connection c = data.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (unforced) {
                    try (Statement set = c.createStatement()) {
                        set.execute("SET LOCAL synchronous_commit = off");
                    }
                }
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    /** The URL or message with any user and password in it replaced by {@code ***}. */
    static String withoutCredentials(String text) {
        return CREDENTIALS.matcher(text).replaceAll(m -> m.group(1) != null ? "//***@" : m.group(2) + "***");
    }

    private static String defaultInstanceName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        return host + ":" + ManagementFactory.getRuntimeMXBean().getPid() + ":"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    private void closeListener() {
        synchronized (listening) {
            if (listener != null) {
                try {
                    listener.close();
                } catch (SQLException e) {
                    LOG.debug("closing the listening connection: {}", e.toString());
                }
                listener = null;
            }
        }
    }

    private void closePool() {
        if (ownPool != null) {
            ownPool.close();
        }
    }

    /**
     * Stops the heartbeat (the leases of plans still running here then run out, and another instance
     * takes them over), puts the plans taken but not yet handed over back in the queue, and closes the
     * pool.
     */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        giveBack(claimed, "queued");
        giveBack(resumed, "running"); // its lease gone at once: the next instance to look takes it over
        closeListener();
        closePool();
    }

    private void giveBack(Map<String, Taken> waiting, String state) {
        List<String> keys;
        synchronized (waiting) {
            keys = List.copyOf(waiting.keySet());
            waiting.clear();
        }
        for (String key : keys) {
            Lease lease = held.remove(key);
            if (lease == null) {
                continue;
            }
            try {
                inTransaction(c -> {
                    try (PreparedStatement update = c.prepareStatement("UPDATE mcp_plan SET state = ?, owner = NULL,"
                            + " lease_until = now(), runs = runs - CASE WHEN ?::text = 'queued' THEN 1 ELSE 0 END"
                            + " WHERE plan_key = ? AND fence = ?")) {
                        update.setString(1, state);
                        update.setString(2, state);
                        update.setString(3, key);
                        update.setLong(4, lease.fence);
                        return update.executeUpdate();
                    }
                });
            } catch (RuntimeException e) {
                LOG.warn("cannot put plan {} back; it is taken over once its lease runs out: {}", key, e.toString());
            }
        }
    }

    /** How a store is made: the lease, the instance's name, the pool and the claim batch. */
    public static final class Builder {
        private String url;
        private DataSource dataSource;
        private String user;
        private String password;
        private Duration lease = Duration.ofSeconds(30);
        private String instance;
        private int poolSize = 10;
        private int batch = 16;

        private Builder() {}

        /** The database user (for a store with its own pool). */
        public Builder user(String user) {
            this.user = user;
            return this;
        }

        /** The database password (for a store with its own pool); never logged. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /**
         * How long a claimed plan stays this instance's without a heartbeat (30 s by default): after it,
         * another instance takes the plan over. The heartbeat renews it every third of it.
         */
        public Builder lease(Duration lease) {
            if (lease.toMillis() < 300) {
                throw new IllegalArgumentException("the lease must be at least 300 ms, not " + lease);
            }
            this.lease = lease;
            return this;
        }

        /** The name claims are made under; host, process id and a random part by default. */
        public Builder instance(String name) {
            this.instance = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The size of the store's own pool (10 by default). */
        public Builder poolSize(int size) {
            if (size < 2) {
                throw new IllegalArgumentException("the pool needs at least 2 connections, not " + size);
            }
            this.poolSize = size;
            return this;
        }

        /**
         * How many plans {@link JdbcPlanStore#ready()} takes for this instance at a time (16 by default):
         * a few times {@code maxConcurrentPlans}, so that no slot waits, and few enough that other
         * instances find plans too; an instance looks for plans to take over between batches.
         */
        public Builder batch(int plans) {
            if (plans < 1) {
                throw new IllegalArgumentException("the batch must be at least 1, not " + plans);
            }
            this.batch = plans;
            return this;
        }

        /** Connects, creates or migrates the tables, and starts the heartbeat. */
        public JdbcPlanStore build() {
            return new JdbcPlanStore(this);
        }
    }
}
