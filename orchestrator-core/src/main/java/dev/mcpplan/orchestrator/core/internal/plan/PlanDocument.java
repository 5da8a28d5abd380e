package dev.mcpplan.orchestrator.core.internal.plan;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A plan file's text that produces edited text, changing only the lines it means to: front matter
 * fields, a step's checkbox, the Execution Log section. Line endings (LF or CRLF) and every other byte
 * stay as they were.
 *
 * <p>Immutable and thread-safe.
 */
public final class PlanDocument {
    /** Values written bare: a word, or a UTC time stamp; YAML reads both back as the same string. */
    private static final Pattern SAFE_SCALAR = Pattern.compile(
            "[A-Za-z](?:[A-Za-z0-9_.+\\-/@:]*[A-Za-z0-9_.+\\-/@])?|\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
    /** Words YAML 1.1 or 1.2 reads as something other than a string. */
    private static final Pattern YAML_WORDS =
            Pattern.compile("(?i)true|false|yes|no|on|off|y|n|null|nan|inf|\\.nan|\\.inf");

    private static final Pattern LINE_BREAKS = Pattern.compile("\\s*[\\r\\n\\u000B\\f\\u0085\\u2028\\u2029]+\\s*");
    private static final String LOG_HEADING = "## Execution Log";

    private final List<String> lines;
    private final String newline;
    private final boolean finalNewline;

    private PlanDocument(List<String> lines, String newline, boolean finalNewline) {
        this.lines = List.copyOf(lines);
        this.newline = newline;
        this.finalNewline = finalNewline;
    }

    public static PlanDocument of(byte[] content) {
        String text = new String(content, StandardCharsets.UTF_8);
        String newline = text.contains("\r\n") ? "\r\n" : "\n";
        boolean finalNewline = text.endsWith("\n");
        String body = finalNewline ? text.substring(0, text.length() - newline.length()) : text;
        return new PlanDocument(List.of(body.split("\r?\n", -1)), newline, finalNewline);
    }

    public byte[] bytes() {
        return (String.join(newline, lines) + (finalNewline ? newline : "")).getBytes(StandardCharsets.UTF_8);
    }

    /** The document with a front matter field set to a number, written bare as YAML reads a number. */
    public PlanDocument withField(String key, long value) {
        return withRenderedField(key, Long.toString(value));
    }

    /** Sets a top-level front matter field in place, or appends it; adds front matter when there is none. */
    public PlanDocument withField(String key, String value) {
        return withRenderedField(key, yamlScalar(value));
    }

    private PlanDocument withRenderedField(String key, String scalar) {
        String rendered = key + ": " + scalar;
        List<String> out = new ArrayList<>(lines);
        int end = frontMatterEnd();
        if (end < 0) {
            out.addAll(0, List.of("---", rendered, "---"));
            return new PlanDocument(out, newline, finalNewline);
        }
        int at = fieldLine(key, end);
        if (at > 0) {
            removeContinuation(out, at, end);
            out.set(at, rendered);
            return new PlanDocument(out, newline, finalNewline);
        }
        out.add(end, rendered);
        return new PlanDocument(out, newline, finalNewline);
    }

    /** Removes a top-level front matter field (with its block value, if any); absent, nothing changes. */
    public PlanDocument withoutField(String key) {
        int end = frontMatterEnd();
        int at = end < 0 ? -1 : fieldLine(key, end);
        if (at < 0) {
            return this;
        }
        List<String> out = new ArrayList<>(lines);
        removeContinuation(out, at, end);
        out.remove(at);
        return new PlanDocument(out, newline, finalNewline);
    }

    /**
     * The value as a YAML scalar that reads back as the same string and stays on one line: bare when
     * that is safe, else double-quoted with every line break, quote, backslash and control character
     * escaped, so that no value can end the front matter or add a field.
     */
    static String yamlScalar(String value) {
        if (SAFE_SCALAR.matcher(value).matches() && !YAML_WORDS.matcher(value).matches()) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        value.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (printable(c)) {
                        out.appendCodePoint(c);
                    } else {
                        out.append(String.format("\\u%04X", c));
                    }
                }
            }
        });
        return out.append('"').toString();
    }

    /**
     * Whether YAML allows {@code c} as it is in a quoted scalar; line and paragraph separators and the
     * byte order mark are allowed there but escaped all the same, so that no reader breaks a line on them.
     */
    private static boolean printable(int c) {
        return (c >= 0x20 && c <= 0x7E)
                || (c >= 0xA0 && c <= 0xD7FF && c != 0x2028 && c != 0x2029)
                || (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF)
                || c >= 0x10000;
    }

    /** Text made one line: every line break, with the white space around it, becomes one space. */
    public static String oneLine(String text) {
        return LINE_BREAKS.matcher(text).replaceAll(" ");
    }

    /** Whether the Execution Log already has the line {@link #withLogLine} would add for {@code text}. */
    public boolean hasLogLine(String text) {
        int heading = lines.indexOf(LOG_HEADING);
        return heading >= 0 && lines.subList(heading, lines.size()).contains("- " + oneLine(text));
    }

    private int fieldLine(String key, int end) {
        for (int i = 1; i < end; i++) {
            if (lines.get(i).startsWith(key + ":")) {
                return i;
            }
        }
        return -1;
    }

    /** Removes the lines of a block value (indented, or block sequence items) after the field on {@code at}. */
    private static void removeContinuation(List<String> out, int at, int end) {
        int next = at + 1;
        int last = end;
        while (next < last
                && (out.get(next).startsWith(" ")
                        || out.get(next).startsWith("\t")
                        || out.get(next).startsWith("- "))) {
            out.remove(next);
            last--;
        }
    }

    /** Checks the checkbox of the step on the given 1-based line; a line without one stays as it is. */
    public PlanDocument withStepChecked(int line) {
        return withStepsChecked(List.of(line));
    }

    /** Checks the checkboxes of the steps on the given 1-based lines, in one copy of the document. */
    public PlanDocument withStepsChecked(Collection<Integer> stepLines) {
        List<String> out = new ArrayList<>(lines);
        for (int line : stepLines) {
            if (line >= 1 && line <= out.size()) {
                out.set(line - 1, out.get(line - 1).replaceFirst("\\[ \\]", "[x]"));
            }
        }
        return new PlanDocument(out, newline, finalNewline);
    }

    /** Appends {@code - text} to the Execution Log section at the end, creating it when absent. */
    public PlanDocument withLogLine(String text) {
        return withLogLines(List.of(text));
    }

    /** Appends {@code - text} for each text to the Execution Log section at the end, in one copy. */
    public PlanDocument withLogLines(List<String> texts) {
        if (texts.isEmpty()) {
            return this;
        }
        List<String> out = new ArrayList<>(lines.size() + texts.size() + 3);
        out.addAll(lines);
        if (!out.contains(LOG_HEADING)) {
            if (!out.isEmpty() && !out.get(out.size() - 1).isBlank()) {
                out.add("");
            }
            out.add(LOG_HEADING);
            out.add("");
        }
        for (String text : texts) {
            out.add("- " + oneLine(text));
        }
        return new PlanDocument(out, newline, true);
    }

    private int frontMatterEnd() {
        if (lines.isEmpty() || !lines.get(0).strip().equals("---")) {
            return -1;
        }
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("---")) {
                return i;
            }
        }
        return -1;
    }
}
