package dev.mcpplan.orchestrator.core.internal.plan;

/**
 * An ATX markdown heading ({@code ## Steps}): its level and its text without the closing hashes.
 *
 * <p>Read by a scan rather than a regular expression: the pattern it replaces,
 * {@code ^(#{1,6})\s+(.*?)\s*#*\s*$}, took time quadratic in the length of a line full of hashes.
 *
 * @param level 1 to 6
 * @param text the heading's text, stripped
 */
record Heading(int level, String text) {
    /** The line read as a heading, or null when it is not one. */
    static Heading of(String line) {
        int level = 0;
        while (level < line.length() && line.charAt(level) == '#') {
            level++;
        }
        if (level < 1 || level > 6 || level == line.length() || !isSpace(line.charAt(level))) {
            return null;
        }
        int end = line.length();
        while (end > level && isSpace(line.charAt(end - 1))) {
            end--;
        }
        while (end > level && line.charAt(end - 1) == '#') {
            end--;
        }
        while (end > level && isSpace(line.charAt(end - 1))) {
            end--;
        }
        int start = level;
        while (start < end && isSpace(line.charAt(start))) {
            start++;
        }
        for (int i = start; i < end; i++) {
            if (isLineBreak(line.charAt(i))) {
                return null; // a line break inside is not one heading line
            }
        }
        return new Heading(level, line.substring(start, end));
    }

    /** White space as {@code \s} has it. */
    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
    }

    private static boolean isLineBreak(char c) {
        return c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
    }
}
