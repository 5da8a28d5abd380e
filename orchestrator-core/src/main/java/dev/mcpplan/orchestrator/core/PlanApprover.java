package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.ApprovalSeal;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.core.internal.io.AtomicFiles;
import dev.mcpplan.orchestrator.core.internal.plan.PlanDocument;
import dev.mcpplan.orchestrator.core.internal.plan.PlanParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Set;

/**
 * Approves a plan file as an approval tool would: sets {@code status: approved}, {@code approved_by},
 * {@code approved_at}, {@code expires_at}, optionally {@code approved_actions}, and seals the approval
 * with {@code approval_hash} and, given a key, {@code approval_signature} (see {@link ApprovalSeal}:
 * the seal covers the steps, the listed actions, the risk level, the ids, approver, times and type).
 * The file is rewritten atomically; everything else in it stays as it was. The file is read back and
 * must hash as sealed, so an approval that would not hold is never written as if it did.
 *
 * <p>Stateless and thread-safe.
 */
public final class PlanApprover {
    private PlanApprover() {}

    /**
     * @param validFor how long the approval holds, or null for no expiry
     * @param actions the actions to list in {@code approved_actions}, or null to keep the plan's own
     * @param key the signing key shared with the orchestrators, or null to seal with the hash alone
     * @return the approval now in the file
     * @throws dev.mcpplan.orchestrator.PlanFormatException if the file is not a readable plan
     */
    public static Approval approve(
            Path file, String approvedBy, Duration validFor, Set<String> actions, byte[] key, Clock clock) {
        Objects.requireNonNull(approvedBy, "approvedBy");
        Plan plan = PlanParser.parse(file);
        if (actions != null) {
            plan = plan.toBuilder()
                    .approval(
                            plan.approval().toBuilder().approvedActions(actions).build())
                    .build();
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expires = validFor == null ? null : now.plus(validFor);
        Approval sealed = ApprovalSeal.seal(plan, approvedBy, now, expires, key);
        try {
            PlanDocument doc = PlanDocument.of(Files.readAllBytes(file))
                    .withField("status", "approved")
                    .withField("approved_by", approvedBy)
                    .withField("approved_at", now.toString())
                    .withoutField("expires")
                    .withoutField("expires_at");
            if (expires != null) {
                doc = doc.withField("expires_at", expires.toString());
            }
            if (actions != null) {
                doc = doc.withField("approved_actions", String.join(", ", actions));
            }
            doc = doc.withField("approval_hash", sealed.approvalHash().orElseThrow())
                    .withoutField("approval_signature");
            if (sealed.signature().isPresent()) {
                doc = doc.withField("approval_signature", sealed.signature().get());
            }
            AtomicFiles.write(file, doc.bytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot approve " + file, e);
        }
        Plan written = PlanParser.parse(file);
        if (!sealed.approvalHash().equals(written.approval().approvalHash())
                || !sealed.approvalHash().get().equals(ApprovalSeal.hash(written))
                || !sealed.signature().equals(written.approval().signature())) {
            throw new IllegalStateException("the approval written to " + file + " does not read back as sealed");
        }
        return written.approval();
    }
}
