package dev.mcpplan.orchestrator;

/**
 * What kind of failure ended a call or a plan; it decides what happens next.
 */
public enum ErrorKind {
    /** Credentials refused (401/403). The plan fails and an alert is raised. */
    AUTHENTICATION,
    /** The server asked to slow down (429). The plan goes back to the queue with a retry time. */
    RATE_LIMIT,
    /** The request was malformed or the parameters invalid. The plan fails; never retried. */
    VALIDATION,
    /** The server failed internally. Retried with backoff, then the plan is rescheduled. */
    SERVER_ERROR,
    /** No answer within the time-out. Retried only when the tool is idempotent. */
    TIMEOUT,
    /** The server could not be started or reached, or died. Retried with backoff. */
    UNAVAILABLE,
    /** The tool ran and reported an error result ({@code isError}). */
    TOOL_ERROR,
    /** The approval does not cover the plan. The plan fails and an alert is raised. */
    APPROVAL
}
