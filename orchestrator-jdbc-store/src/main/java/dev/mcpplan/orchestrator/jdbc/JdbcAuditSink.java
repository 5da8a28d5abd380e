package dev.mcpplan.orchestrator.jdbc;

import dev.mcpplan.orchestrator.core.AuditLog;
import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.AuditSink;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link AuditSink} that appends the audit records to the {@code mcp_audit} table of a
 * {@link JdbcPlanStore}'s database: one hash chain for every instance, each line the JSON line the
 * vault's log files hold ({@link AuditLog#line}), keyed by HMAC-SHA256 under the signing key when one
 * is given. Lines are appended under a transaction-scoped advisory lock, so that the chain stays one
 * line after another whatever the number of instances; the table refuses updates and deletes.
 */
public final class JdbcAuditSink implements AuditSink {
    private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('mcp_audit', 0))";

    private final JdbcPlanStore store;
    private final byte[] key;

    /**
     * @param store whose database holds the log
     * @param key the signing key of the chain, or null for plain SHA-256
     */
    public JdbcAuditSink(JdbcPlanStore store, byte[] key) {
        this.store = store;
        this.key = key == null ? null : key.clone();
    }

    @Override
    public void record(AuditRecord record) {
        store.inTransaction(c -> {
            try (Statement lock = c.createStatement()) {
                lock.execute(LOCK);
            }
            long seq = 0;
            String prev = AuditLog.GENESIS;
            try (Statement s = c.createStatement();
                    ResultSet last = s.executeQuery("SELECT seq, hash FROM mcp_audit ORDER BY seq DESC LIMIT 1")) {
                if (last.next()) {
                    seq = last.getLong(1);
                    prev = last.getString(2);
                }
            }
            byte[] line = AuditLog.line(record, prev, key);
            try (PreparedStatement insert =
                    c.prepareStatement("INSERT INTO mcp_audit (seq, line, hash) VALUES (?, ?, ?)")) {
                insert.setLong(1, seq + 1);
                insert.setString(2, new String(line, StandardCharsets.UTF_8));
                insert.setString(3, AuditLog.chainValue(line));
                insert.executeUpdate();
            }
            return null;
        });
    }

    /** Checks the whole chain, as {@link AuditLog#verifyLines} does; line numbers are the rows' {@code seq}. */
    public AuditLog.Verification verify() {
        List<byte[]> lines = store.inTransaction(c -> {
            List<byte[]> all = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet rows = s.executeQuery("SELECT line FROM mcp_audit ORDER BY seq")) {
                while (rows.next()) {
                    all.add(rows.getString(1).getBytes(StandardCharsets.UTF_8));
                }
            }
            return all;
        });
        return AuditLog.verifyLines(lines, key);
    }
}
