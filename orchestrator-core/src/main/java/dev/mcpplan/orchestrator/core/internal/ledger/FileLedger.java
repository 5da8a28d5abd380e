package dev.mcpplan.orchestrator.core.internal.ledger;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.ApprovalRuns;
import dev.mcpplan.orchestrator.core.ApprovalRuns.Run;
import dev.mcpplan.orchestrator.core.internal.io.FileLocks;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@link ApprovalLedger} in one append-only file of JSON lines: each line is the state of one run
 * (plan id, approval hash and signature, file, state, when it began), and the last line of a plan id
 * is its state now. States are plan status wire names: {@code in_progress} (running),
 * {@code retry_scheduled} (waiting in the queue, still open), anything else the run's terminal outcome.
 *
 * <p>Crash-safe and shared: every read and append happens under an exclusive lock on the file, so
 * that of several processes (and several ledgers of one process) beginning one approval exactly one
 * wins; every line is one write forced to disk; a last line without its newline (a crash mid-write) is
 * ignored, and ended with a newline before the next line is appended. Lines already read are kept in
 * memory; each call reads only what other processes appended since.
 *
 * <p>Thread-safe.
 */
public final class FileLedger implements ApprovalLedger {
    private static final Logger LOG = LoggerFactory.getLogger(FileLedger.class);
    private static final String IN_CODE = "(handed over in code)";
    // A JVM may not hold two locks on one file, so the ledgers of one JVM queue here before taking the lock.
    private static final ConcurrentMap<Path, Object> FILES = new ConcurrentHashMap<>();

    private final Path file;
    private final Clock clock;
    private final JsonMapper json = JsonMapper.builder().build();
    private final Map<String, Run> byPlanId = new HashMap<>();
    private final Map<String, String> planIdBySignature = new HashMap<>();
    private final ApprovalRuns.Known known = new ApprovalRuns.Known() {
        @Override
        public Optional<Run> byPlanId(String planId) {
            return Optional.ofNullable(FileLedger.this.byPlanId.get(planId));
        }

        @Override
        public Optional<String> planIdWithSignature(String signature) {
            return Optional.ofNullable(planIdBySignature.get(signature));
        }
    };
    private long readUpTo;

    /** A ledger in {@code file}; its folder is created on the first write. */
    public FileLedger(Path file, Clock clock) {
        this.file = file.toAbsolutePath().normalize();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The file this ledger is kept in. */
    public Path file() {
        return file;
    }

    @Override
    public Optional<String> begin(Plan plan, Start start) {
        String source = plan.source().map(Path::toString).orElse(IN_CODE);
        return locked(channel -> {
            ApprovalRuns.Decision decision = ApprovalRuns.begin(plan, start, source, known, clock.instant());
            if (decision.record() != null) {
                append(channel, decision.record());
            }
            return Optional.ofNullable(decision.refusal());
        });
    }

    @Override
    public void end(Plan plan, PlanResult result) {
        locked(channel -> {
            append(
                    channel,
                    ApprovalRuns.end(
                            plan,
                            result,
                            plan.source().map(Path::toString).orElse(IN_CODE),
                            Optional.ofNullable(byPlanId.get(plan.id())),
                            clock.instant()));
            return null;
        });
    }

    private interface Locked<T> {
        T run(FileChannel channel) throws IOException;
    }

    private <T> T locked(Locked<T> action) {
        try {
            Files.createDirectories(file.getParent());
            synchronized (FILES.computeIfAbsent(file, f -> new Object())) {
                synchronized (this) {
                    try (FileChannel channel = FileChannel.open(
                            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                        FileLock lock = FileLocks.exclusive(channel);
                        try {
                            catchUp(channel);
                            return action.run(channel);
                        } finally {
                            lock.release();
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the approval ledger " + file, e);
        }
    }

    /** Reads the complete lines appended since the last call; a torn last line is left for later. */
    private void catchUp(FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < readUpTo) { // the file was replaced: read it again from the start
            byPlanId.clear();
            planIdBySignature.clear();
            readUpTo = 0;
        }
        if (size == readUpTo) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(size - readUpTo));
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, readUpTo + buffer.position()) < 0) {
                throw new IOException("the ledger shrank while it was locked");
            }
        }
        byte[] bytes = buffer.array();
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                if (i > start) {
                    index(bytes, start, i - start);
                }
                start = i + 1;
            }
        }
        readUpTo += start;
    }

    private void index(byte[] bytes, int offset, int length) {
        try {
            JsonNode line = json.readTree(bytes, offset, length);
            Run run = new Run(
                    text(line, "plan_id"),
                    text(line, "approval_hash"),
                    text(line, "signature"),
                    text(line, "file"),
                    text(line, "state"),
                    text(line, "began_at"),
                    text(line, "at"));
            if (run.planId() == null || run.hash() == null || run.state() == null) {
                throw new IllegalArgumentException("a line lacks plan_id, approval_hash or state");
            }
            remember(run);
        } catch (JacksonException | IllegalArgumentException e) {
            // a line cut short by a crash, later ended by a newline: what it would have said never took effect
            LOG.warn(
                    "skipping an unreadable line in the approval ledger {}: {}",
                    file,
                    new String(bytes, offset, Math.min(length, 200), StandardCharsets.UTF_8));
        }
    }

    private static String text(JsonNode line, String field) {
        JsonNode value = line.path(field);
        return value.isString() ? value.stringValue() : null;
    }

    private void remember(Run run) {
        byPlanId.put(run.planId(), run);
        if (run.signature() != null) {
            planIdBySignature.putIfAbsent(run.signature(), run.planId());
        }
    }

    private void append(FileChannel channel, Run run) throws IOException {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("at", run.at());
        line.put("plan_id", run.planId());
        line.put("approval_hash", run.hash());
        line.put("signature", run.signature());
        line.put("file", run.source());
        line.put("state", run.state());
        line.put("began_at", run.beganAt());
        line.put("pid", ProcessHandle.current().pid());
        byte[] bytes = json.writeValueAsBytes(line);
        long size = channel.size();
        boolean torn = size > readUpTo; // a line cut short by a crash: end it, so that this one stands alone
        ByteBuffer out = ByteBuffer.allocate((torn ? 1 : 0) + bytes.length + 1);
        if (torn) {
            out.put((byte) '\n');
        }
        out.put(bytes).put((byte) '\n').flip();
        for (long at = size; out.hasRemaining(); ) {
            at += channel.write(out, at);
        }
        channel.force(false);
        readUpTo = size + out.limit();
        remember(run);
    }
}
