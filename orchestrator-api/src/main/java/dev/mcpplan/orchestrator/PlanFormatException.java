package dev.mcpplan.orchestrator;

import java.util.Optional;

/**
 * A plan file that cannot be read as a plan: broken front matter, no steps, a {@code depends_on}
 * naming a missing step, a cycle, bytes that are not UTF-8. The message names the file, the line
 * (when one is known) and the problem, in the form {@code file:line: problem}.
 */
public class PlanFormatException extends OrchestratorException {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final String problem;

    /**
     * @param source the file name or another name for where the plan came from
     * @param line the 1-based line of the problem, or 0 when it concerns the whole file
     * @param problem what is wrong, as one sentence without the location
     */
    public PlanFormatException(String source, int line, String problem) {
        this(source, line, problem, null);
    }

    public PlanFormatException(String source, int line, String problem, Throwable cause) {
        super(format(source, line, problem), cause);
        this.source = source;
        this.line = line;
        this.problem = problem;
    }

    private static String format(String source, int line, String problem) {
        return (source == null ? "<plan>" : source) + (line > 0 ? ":" + line : "") + ": " + problem;
    }

    /** Where the plan came from: a file name, or a name the caller gave. */
    public String source() {
        return source;
    }

    /** The 1-based line of the problem, when the problem has one. */
    public Optional<Integer> line() {
        return line > 0 ? Optional.of(line) : Optional.empty();
    }

    /** What is wrong, without the location. */
    public String problem() {
        return problem;
    }
}
