package dev.mcpplan.orchestrator;

import java.util.Objects;

/**
 * Something that keeps a plan or a step from running, found by a dry run or by preflight.
 *
 * @param code what kind of problem
 * @param message one sentence for a person, naming the step, server, tool or parameter concerned
 */
public record Problem(Code code, String message) {
    /** The kinds of problem a check reports. */
    public enum Code {
        /** The plan is not approved. */
        NOT_APPROVED,
        /** The approval has expired. */
        APPROVAL_EXPIRED,
        /** The detected action is not among the plan's {@code approved_actions}. */
        ACTION_NOT_APPROVED,
        /** The approval does not match the plan's content (hash or signature). */
        APPROVAL_MISMATCH,
        /**
         * The approval was consumed by an earlier run (or its plan id is taken by another plan), or the
         * ledger of consumed approvals cannot be read.
         */
        APPROVAL_CONSUMED,
        /** No mapping routes the action to a server. */
        UNKNOWN_ACTION,
        /** The route names a server the configuration does not define. */
        UNKNOWN_SERVER,
        /** No transport provider serves the server's type. */
        NO_TRANSPORT,
        /** The server could not be started or reached. */
        SERVER_UNAVAILABLE,
        /** The server does not list the tool. */
        UNKNOWN_TOOL,
        /** The tool's input schema requires a parameter the step does not give. */
        MISSING_PARAMETER,
        /** The parameters do not match the tool's input schema. */
        INVALID_PARAMETER,
        /** The plan itself is inconsistent (for example a dependency on a failed step). */
        PLAN
    }

    public Problem {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return code + ": " + message;
    }
}
