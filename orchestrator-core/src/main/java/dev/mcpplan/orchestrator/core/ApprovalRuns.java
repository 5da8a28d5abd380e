package dev.mcpplan.orchestrator.core;

import dev.mcpplan.orchestrator.ApprovalSeal;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.spi.ApprovalLedger;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The rules of "one approval, one run" that an {@link ApprovalLedger} applies, whatever it keeps its
 * runs in (a file, a database table): the ledger finds the runs it knows, these rules say whether a
 * run may begin and what the ledger records.
 *
 * <p>A run is known by its plan id; its approval by the {@code approval_hash} (or, for a plan without
 * one, the hash of its content without the approval's times) and the {@code approval_signature}. A
 * run is open while its state is {@code in_progress} (running) or {@code retry_scheduled} (waiting in
 * the queue); any other state is its terminal outcome.
 */
public final class ApprovalRuns {
    /** The state of a run going on. */
    public static final String RUNNING = PlanStatus.IN_PROGRESS.wireName();
    /** The state of a run rescheduled, waiting in the queue. */
    public static final String WAITING = PlanStatus.RETRY_SCHEDULED.wireName();

    private ApprovalRuns() {}

    /**
     * One run as a ledger records it.
     *
     * @param planId the plan's id
     * @param hash what the approval covers (see {@link #contentHash})
     * @param signature the plan's {@code approval_signature}, or null
     * @param source where the plan came from: its file, or the store's name for it
     * @param state {@link #RUNNING}, {@link #WAITING} or the wire name of a terminal status
     * @param beganAt when the run began (ISO-8601)
     * @param at when it came to this state (ISO-8601)
     */
    public record Run(
            String planId, String hash, String signature, String source, String state, String beganAt, String at) {
        /** Whether the run is going on or waiting in the queue. */
        public boolean open() {
            return state.equals(RUNNING) || state.equals(WAITING);
        }
    }

    /** The runs a ledger knows, as the rules ask for them. */
    public interface Known {
        /** The last state of the run of this plan id. */
        Optional<Run> byPlanId(String planId);

        /** The plan id of the first run whose approval had this signature. */
        Optional<String> planIdWithSignature(String signature);
    }

    /**
     * What {@link #begin} decided: the run to record (the run may go on), or why not.
     *
     * @param record the run's new state to record, or null when it was refused
     * @param refusal why the run may not go on, naming the earlier run; null when it may
     */
    public record Decision(Run record, String refusal) {}

    /**
     * Whether a run of {@code plan} may begin now (or continue: a rescheduled plan taken from the queue
     * again under the same name, a resumed one).
     *
     * @param source where the plan comes from (its file, or the store's name for it)
     */
    public static Decision begin(Plan plan, ApprovalLedger.Start start, String source, Known known, Instant now) {
        String hash = contentHash(plan);
        String signature = plan.approval().signature().orElse(null);
        Optional<String> other = signature == null ? Optional.empty() : known.planIdWithSignature(signature);
        if (other.isPresent() && !other.get().equals(plan.id())) {
            return new Decision(
                    null,
                    refusal(
                            "its approval (the same approval_signature) was already used by plan " + other.get(),
                            known.byPlanId(other.get()).orElseThrow()));
        }
        Optional<Run> found = known.byPlanId(plan.id());
        String at = now.toString();
        if (found.isEmpty()) {
            return new Decision(new Run(plan.id(), hash, signature, source, RUNNING, at, at), null);
        }
        Run earlier = found.get();
        if (!earlier.hash().equals(hash) || !Objects.equals(earlier.signature(), signature)) {
            return new Decision(
                    null, refusal("its plan id is taken by another plan (other steps or approval)", earlier));
        }
        if (!earlier.open()) {
            return new Decision(null, refusal("its approval was already used", earlier));
        }
        boolean continues = start == ApprovalLedger.Start.RESUMED
                || (earlier.state().equals(WAITING) && sameName(earlier.source(), source));
        if (!continues) {
            return new Decision(null, refusal("its approval is in use by another run", earlier));
        }
        return new Decision(new Run(plan.id(), hash, signature, source, RUNNING, earlier.beganAt(), at), null);
    }

    /** The state to record when a run ends with {@code result}. */
    public static Run end(Plan plan, PlanResult result, String source, Optional<Run> earlier, Instant now) {
        String at = now.toString();
        return new Run(
                plan.id(),
                earlier.map(Run::hash).orElseGet(() -> contentHash(plan)),
                earlier.isPresent()
                        ? earlier.get().signature()
                        : plan.approval().signature().orElse(null),
                source,
                result.status().wireName(),
                earlier.map(Run::beganAt).orElse(at),
                at);
    }

    /**
     * What the approval covers: its sealed {@code approval_hash}, or, for a plan without one, the hash of
     * its content without the approval's times, since a store may give a plan its approval time when it
     * takes it (the same file dropped into the queue again is the same plan).
     */
    public static String contentHash(Plan plan) {
        return plan.approval()
                .approvalHash()
                .orElseGet(() -> ApprovalSeal.hash(plan.toBuilder()
                        .approval(plan.approval().toBuilder()
                                .approvedAt(null)
                                .expiresAt(null)
                                .build())
                        .build()));
    }

    /** Whether two sources name the same plan: the same file name, in whatever folder. */
    private static boolean sameName(String a, String b) {
        int slashA = Math.max(a.lastIndexOf('/'), a.lastIndexOf('\\'));
        int slashB = Math.max(b.lastIndexOf('/'), b.lastIndexOf('\\'));
        return a.substring(slashA + 1).equals(b.substring(slashB + 1));
    }

    private static String refusal(String why, Run earlier) {
        String state = earlier.state().equals(RUNNING)
                ? "still running since " + earlier.at()
                        + " (if the process that ran it died, a person must check that run and its plan)"
                : earlier.state().equals(WAITING)
                        ? "rescheduled at " + earlier.at() + ", waiting in the queue as " + earlier.source()
                        : "outcome " + earlier.state() + " at " + earlier.at();
        return why + ": plan " + earlier.planId() + " began at " + earlier.beganAt() + " from " + earlier.source()
                + ", " + state;
    }
}
