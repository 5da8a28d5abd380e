package dev.mcpplan.orchestrator.jdbc;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.ApprovalRuns;
import dev.mcpplan.orchestrator.core.ApprovalRuns.Run;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import dev.mcpplan.orchestrator.spi.PlanTakenOverException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link ApprovalLedger} of a {@link JdbcPlanStore}: the last state of each plan id's run in
 * {@code mcp_approval_run}, under the rules of {@link ApprovalRuns}. A run's begin and end hold
 * transaction-scoped advisory locks on its plan id and signature, so that of several instances
 * beginning one approval exactly one wins; each run records the fence of the claim that began it, and
 * an end from an instance whose claim was taken over since is refused.
 *
 * <p>Its commits do not wait for the database's disk: before any call that is not safe to repeat, the
 * forced journal record of that step writes everything committed before it, a run's begin among them;
 * an end lost in a crash of the database leaves the run open, and the plan is taken over and ends again.
 */
final class JdbcApprovalLedger implements ApprovalLedger {
    private final JdbcPlanStore store;
    /** The fence under which this instance began each run it has not ended yet. */
    private final ConcurrentMap<String, Long> begun = new ConcurrentHashMap<>();

    JdbcApprovalLedger(JdbcPlanStore store) {
        this.store = store;
    }

    @Override
    public Optional<String> begin(Plan plan, Start start) {
        long fence = store.lease(plan.id()).fence;
        Optional<String> refusal = store.inTransaction(true, c -> {
            lock(c, plan);
            ApprovalRuns.Decision decision = ApprovalRuns.begin(plan, start, source(plan), known(c), Instant.now());
            if (decision.record() != null) {
                save(c, decision.record(), fence);
            }
            return Optional.ofNullable(decision.refusal());
        });
        if (refusal.isEmpty()) {
            begun.put(plan.id(), fence);
        }
        return refusal;
    }

    @Override
    public void end(Plan plan, PlanResult result) {
        store.inTransaction(true, c -> {
            lock(c, plan);
            Optional<Run> earlier = known(c).byPlanId(plan.id());
            Long fence = fence(c, plan.id());
            Long ours = begun.remove(plan.id());
            if (fence != null && ours != null && !fence.equals(ours)) {
                throw new PlanTakenOverException("plan " + plan.id() + ": its run is another instance's now (fence "
                        + fence + ", not " + ours + "); this instance does not end it");
            }
            save(c, ApprovalRuns.end(plan, result, source(plan), earlier, Instant.now()), fence);
            return null;
        });
    }

    private static String source(Plan plan) {
        return "store:" + plan.id();
    }

    /** The advisory locks of the plan id and its signature, in one order for every instance. */
    private static void lock(Connection c, Plan plan) throws SQLException {
        TreeSet<String> names = new TreeSet<>();
        names.add("plan:" + plan.id());
        plan.approval().signature().ifPresent(s -> names.add("signature:" + s));
        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
            for (String name : names) {
                lock.setString(1, name);
                lock.execute();
            }
        }
    }

    private static ApprovalRuns.Known known(Connection c) {
        return new ApprovalRuns.Known() {
            @Override
            public Optional<Run> byPlanId(String planId) {
                return query(
                        c,
                        "SELECT plan_id, hash, signature, source, state, began_at, at FROM mcp_approval_run"
                                + " WHERE plan_id = ?",
                        planId,
                        row -> new Run(
                                row.getString(1),
                                row.getString(2),
                                row.getString(3),
                                row.getString(4),
                                row.getString(5),
                                row.getString(6),
                                row.getString(7)));
            }

            @Override
            public Optional<String> planIdWithSignature(String signature) {
                return query(
                        c,
                        "SELECT plan_id FROM mcp_approval_run WHERE signature = ?",
                        signature,
                        row -> row.getString(1));
            }
        };
    }

    private static Long fence(Connection c, String planId) {
        return query(
                        c,
                        "SELECT fence FROM mcp_approval_run WHERE plan_id = ?",
                        planId,
                        row -> row.getObject(1) == null ? null : row.getLong(1))
                .orElse(null);
    }

    @FunctionalInterface
    private interface Row<T> {
        T read(ResultSet row) throws SQLException;
    }

    private static <T> Optional<T> query(Connection c, String sql, String value, Row<T> read) {
        try (PreparedStatement select = c.prepareStatement(sql)) {
            select.setString(1, value);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.ofNullable(read.read(row)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the approval ledger: " + e.getMessage(), e);
        }
    }

    private static void save(Connection c, Run run, Long fence) throws SQLException {
        try (PreparedStatement upsert = c.prepareStatement("INSERT INTO mcp_approval_run"
                + " (plan_id, hash, signature, source, state, began_at, at, fence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (plan_id) DO UPDATE SET hash = excluded.hash, signature = excluded.signature,"
                + " source = excluded.source, state = excluded.state, began_at = excluded.began_at,"
                + " at = excluded.at, fence = excluded.fence")) {
            upsert.setString(1, run.planId());
            upsert.setString(2, run.hash());
            upsert.setString(3, run.signature());
            upsert.setString(4, run.source());
            upsert.setString(5, run.state());
            upsert.setString(6, run.beganAt());
            upsert.setString(7, run.at());
            upsert.setObject(8, fence);
            upsert.executeUpdate();
        }
    }
}
