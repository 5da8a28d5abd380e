package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.CheckReport;
import dev.mcpplan.orchestrator.Problem;
import dev.mcpplan.orchestrator.StepCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/**
 * Renders a {@link CheckReport} as a plain-text table a person can read in a terminal; every cell goes
 * through the redactor before it is cut to width, since step texts come from the plan as written.
 */
final class CheckTable {
    private static final String[] HEADER = {"#", "step", "action", "detector", "server/tool", "parameters"};
    private static final int MAX_CELL = 48;

    private final UnaryOperator<String> redactor;

    CheckTable(UnaryOperator<String> redactor) {
        this.redactor = redactor;
    }

    String render(CheckReport report) {
        StringBuilder out = new StringBuilder();
        out.append("Plan ")
                .append(report.plan().id())
                .append(": ")
                .append(report.plan().title())
                .append('\n');
        out.append("Source: ").append(report.plan().sourceName()).append('\n');
        out.append("Approval: ")
                .append(report.plan().approval().approvedBy().orElse("(approver unknown)"))
                .append(report.plan()
                        .approval()
                        .expiresAt()
                        .map(e -> ", expires " + e)
                        .orElse(""))
                .append(report.plan()
                        .approval()
                        .approvedActions()
                        .map(a -> ", actions " + a)
                        .orElse(""))
                .append("\n\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (StepCheck s : report.steps()) {
            rows.add(new String[] {
                String.valueOf(s.step().number()) + (s.step().checked() ? " [x]" : ""),
                cell(s.step().text()),
                s.action().orElse("(internal)"),
                s.detector().orElse("-"),
                s.server().map(server -> server + "/" + s.tool().orElse("?")).orElse("-"),
                cell(parameters(s.arguments()))
            });
        }
        int[] widths = new int[HEADER.length];
        rows.forEach(r -> {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        });
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < HEADER.length; i++) {
                line.append(String.format("%-" + widths[i] + "s", rows.get(r)[i]))
                        .append(i + 1 < HEADER.length ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0) {
                int total = 0;
                for (int w : widths) {
                    total += w + 2;
                }
                out.append("-".repeat(total - 2)).append('\n');
            }
        }
        List<Problem> problems = report.errors();
        List<Problem> warnings = report.warnings();
        out.append('\n');
        if (problems.isEmpty()) {
            out.append("No problems: the plan would run.\n");
        } else {
            out.append(problems.size()).append(problems.size() == 1 ? " problem:\n" : " problems:\n");
            list(out, problems);
        }
        if (!warnings.isEmpty()) {
            out.append(warnings.size()).append(warnings.size() == 1 ? " warning:\n" : " warnings:\n");
            list(out, warnings);
        }
        return out.toString();
    }

    private static void list(StringBuilder out, List<Problem> problems) {
        problems.forEach(p -> out.append("  - ")
                .append(p.code())
                .append(": ")
                .append(p.message())
                .append('\n'));
    }

    private static String parameters(Map<String, Object> arguments) {
        return arguments.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", "));
    }

    private String cell(String text) {
        String oneLine = redactor.apply(text).replaceAll("\\s+", " ").strip();
        return oneLine.length() <= MAX_CELL ? oneLine : oneLine.substring(0, MAX_CELL - 1) + "…";
    }
}
