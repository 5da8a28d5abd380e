package dev.mcpplan.orchestrator.core.internal.audit;

import dev.mcpplan.orchestrator.spi.AuditRecord;
import dev.mcpplan.orchestrator.spi.AuditSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Appends one JSON object per event to {@code <logs>/YYYY-MM-DD.jsonl} (UTC day of the event), with the
 * fields of the AI-employee vault convention ({@code timestamp, action_type, actor, target, parameters,
 * approval_status, approved_by, result}) and the orchestrator's own. Parameters and message are redacted
 * again here. Each line is one append, forced to disk, under an exclusive file lock, so several threads
 * and processes may share a log.
 *
 * <p>Thread-safe.
 */
public final class JsonlAuditSink implements AuditSink {
    private final Path logs;
    private final Redactor redactor;
    private final JsonMapper json = JsonMapper.builder().build();

    public JsonlAuditSink(Path logs, Redactor redactor) {
        this.logs = logs;
        this.redactor = redactor;
    }

    @Override
    public synchronized void record(AuditRecord r) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("timestamp", r.timestamp().toString());
        line.put("action_type", r.action() != null ? r.action() : r.event());
        line.put("actor", "mcp-orchestrator");
        line.put("target", r.server() != null ? r.server() + "/" + r.tool() : r.planId());
        line.put("parameters", redactor.redact(r.parameters()));
        line.put("approval_status", "approved");
        line.put("approved_by", r.approver() == null ? null : redactor.redact(r.approver()));
        line.put("result", r.status());
        line.put("event", r.event());
        line.put("plan_id", r.planId());
        line.put("task_id", r.taskId());
        line.put("step", r.step());
        line.put("server", r.server());
        line.put("tool", r.tool());
        line.put("error_kind", r.errorKind() == null ? null : r.errorKind().name());
        line.put("message", r.message() == null ? null : redactor.redact(r.message()));
        line.put("duration_ms", r.durationMs());
        line.put("attempt", r.attempt());
        byte[] bytes = (json.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        Path file = logs.resolve(r.timestamp().atZone(ZoneOffset.UTC).toLocalDate() + ".jsonl");
        try {
            Files.createDirectories(logs);
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                FileLock lock = channel.lock();
                try {
                    channel.write(ByteBuffer.wrap(bytes));
                    channel.force(false);
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the audit log " + file, e);
        }
    }
}
