package dev.mcpplan.orchestrator.core.internal.audit;

import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.AuditSink;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends audit events to the SLF4J logger {@code mcp.orchestrator}, one line each; parameters are never
 * logged here. Failures at WARN, everything else at INFO.
 *
 * <p>Thread-safe.
 */
public final class Slf4jAuditSink implements AuditSink {
    private static final Logger LOG = LoggerFactory.getLogger("mcp.orchestrator");

    @Override
    public void record(AuditRecord r) {
        StringBuilder line = new StringBuilder("[").append(r.event().toUpperCase(Locale.ROOT)).append("] plan=")
                .append(r.planId());
        if (r.step() > 0) {
            line.append(" step=").append(r.step()).append(" action=").append(r.action()).append(" server=")
                    .append(r.server()).append(" tool=").append(r.tool());
        }
        line.append(" status=").append(r.status());
        if (r.durationMs() > 0) {
            line.append(" duration=").append(r.durationMs()).append("ms");
        }
        if (r.attempt() > 0) {
            line.append(" attempt=").append(r.attempt());
        }
        if (r.errorKind() != null) {
            line.append(" error=").append(r.errorKind()).append(" message=").append(r.message());
            LOG.warn(line.toString());
        } else {
            LOG.info(line.toString());
        }
    }
}
