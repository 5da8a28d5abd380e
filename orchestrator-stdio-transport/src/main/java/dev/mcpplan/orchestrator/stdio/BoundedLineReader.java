package dev.mcpplan.orchestrator.stdio;

import java.io.IOException;
import java.io.Reader;
import java.util.function.IntConsumer;

/**
 * Reads lines ending in {@code \n} (a preceding {@code \r} is dropped) and never holds more than
 * {@code maxLine} characters: a longer line is skipped up to its end and reported to {@code onDropped}
 * with the length seen.
 *
 * <p>Not thread-safe.
 */
final class BoundedLineReader {
    private final Reader in;
    private final int maxLine;
    private final IntConsumer onDropped;
    private final char[] buffer = new char[8192];
    private int position;
    private int limit;

    BoundedLineReader(Reader in, int maxLine, IntConsumer onDropped) {
        this.in = in;
        this.maxLine = maxLine;
        this.onDropped = onDropped;
    }

    /** The next line without its terminator, or {@code null} at the end of the stream. */
    String readLine() throws IOException {
        while (true) {
            StringBuilder line = new StringBuilder();
            long length = 0;
            boolean sawAny = false;
            while (true) {
                if (position == limit) {
                    limit = in.read(buffer);
                    position = 0;
                    if (limit <= 0) {
                        limit = 0;
                        if (!sawAny) {
                            return null;
                        }
                        break;
                    }
                }
                sawAny = true;
                int start = position;
                while (position < limit && buffer[position] != '\n') {
                    position++;
                }
                int count = position - start;
                length += count;
                if (length <= maxLine) {
                    line.append(buffer, start, count);
                } else if (!line.isEmpty()) {
                    line.setLength(0);
                    line.trimToSize();
                }
                if (position < limit) {
                    position++; // the '\n'
                    break;
                }
            }
            if (length > maxLine) {
                onDropped.accept((int) Math.min(length, Integer.MAX_VALUE));
                continue;
            }
            int end = line.length();
            if (end > 0 && line.charAt(end - 1) == '\r') {
                line.setLength(end - 1);
            }
            return line.toString();
        }
    }
}
