package dev.mcpplan.orchestrator;

import java.util.Objects;

/**
 * Something that keeps a plan or a step from running, or (a warning) something a person should know
 * although it does not, found by a dry run or by preflight.
 *
 * @param code what kind of problem
 * @param message one sentence for a person, naming the step, server, tool or parameter concerned
 * @param severity whether it stops the plan ({@link Severity#ERROR}) or is only reported
 */
public record Problem(Code code, String message, Severity severity) {
    /** Whether a problem stops the plan. */
    public enum Severity {
        /** The plan does not run. */
        ERROR,
        /** The plan runs; the warning is in the check report and the plan's result. */
        WARNING
    }

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
        PLAN,
        /**
         * No detector recognises the step, so it is internal and skipped. A warning by default: a missing
         * plugin jar, a misspelt services file or a forgotten {@code discoverPlugins} look just like this.
         */
        INTERNAL_STEP,
        /** The plan's {@code approved_actions} names an action that no step resolves to. */
        UNUSED_APPROVED_ACTION,
        /** The server cannot start with its configuration (command not found, exits at start). */
        SERVER_CANNOT_START
    }

    public Problem {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(severity, "severity");
    }

    /** A problem that stops the plan. */
    public Problem(Code code, String message) {
        this(code, message, Severity.ERROR);
    }

    /** A warning: reported, does not stop the plan. */
    public static Problem warning(Code code, String message) {
        return new Problem(code, message, Severity.WARNING);
    }

    /** Whether the problem stops the plan. */
    public boolean isError() {
        return severity == Severity.ERROR;
    }

    @Override
    public String toString() {
        return (isError() ? "" : "warning ") + code + ": " + message;
    }
}
