package dev.mcpplan.orchestrator.core.internal.audit;

import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.AuditSink;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends audit events to the SLF4J logger {@code mcp.orchestrator}, one line each; parameters are never
 * logged here, and the message is redacted again. Failures at WARN, everything else at INFO.
 *
 * <p>Thread-safe.
 */
public final class Slf4jAuditSink implements AuditSink {
    private final Redactor redactor;
    private final Logger log;

    public Slf4jAuditSink(Redactor redactor) {
        this(redactor, LoggerFactory.getLogger("mcp.orchestrator"));
    }

    Slf4jAuditSink(Redactor redactor, Logger log) {
        this.redactor = Objects.requireNonNull(redactor, "redactor");
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public void record(AuditRecord r) {
        StringBuilder line = new StringBuilder("[")
                .append(r.event().toUpperCase(Locale.ROOT))
                .append("] plan=")
                .append(r.planId());
        if (r.step() > 0) {
            line.append(" step=")
                    .append(r.step())
                    .append(" action=")
                    .append(r.action())
                    .append(" server=")
                    .append(r.server())
                    .append(" tool=")
                    .append(r.tool());
        }
        line.append(" status=").append(r.status());
        if (r.durationMs() > 0) {
            line.append(" duration=").append(r.durationMs()).append("ms");
        }
        if (r.attempt() > 0) {
            line.append(" attempt=").append(r.attempt());
        }
        if (r.errorKind() != null) {
            line.append(" error=")
                    .append(r.errorKind())
                    .append(" message=")
                    .append(r.message() == null ? null : redactor.redact(r.message()));
            log.warn(line.toString());
        } else {
            log.info(line.toString());
        }
    }
}
