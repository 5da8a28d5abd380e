package dev.mcpplan.examples.calendar;

import dev.mcpplan.orchestrator.spi.ActionDetector;
import dev.mcpplan.orchestrator.spi.DetectedAction;
import dev.mcpplan.orchestrator.spi.DetectionContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An example plugin: recognises "Schedule a meeting with Alice on 2026-03-02 at 10:00 about Q4" as a
 * {@code calendar_event} with {@code title}, {@code start} and {@code attendees} taken from the text
 * (the step's own parameters win). Registered only through {@code META-INF/services}.
 *
 * <p>Thread-safe: stateless.
 */
public final class MeetingDetector implements ActionDetector {
    private static final Pattern MEETING =
            Pattern.compile("(?i)\\b(schedule|book|set up|arrange)\\s+(a\\s+)?(meeting|call)\\b");
    private static final Pattern WITH = Pattern.compile("(?i)\\bwith\\s+(.+?)(?=\\s+(?:on|at|about|for)\\b|$)");
    private static final Pattern DATE = Pattern.compile("\\b(\\d{4}-\\d{2}-\\d{2})(?:\\s+at\\s+(\\d{1,2}:\\d{2}))?");
    private static final Pattern ABOUT = Pattern.compile("(?i)\\b(?:about|re|for)\\s+(.+)$");

    @Override
    public String id() {
        return "calendar-meeting";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Optional<DetectedAction> detect(DetectionContext context) {
        String text = context.step().text();
        if (!MEETING.matcher(text).find()) {
            return Optional.empty();
        }
        Map<String, Object> parameters = titleStartAndAttendees(text);
        parameters.putAll(context.step().parameters()); // what the step says wins
        return Optional.of(new DetectedAction("calendar_event", parameters));
    }

    private static Map<String, Object> titleStartAndAttendees(String text) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        Matcher about = ABOUT.matcher(text);
        parameters.put("title", about.find() ? about.group(1).strip() : text.strip());
        Matcher date = DATE.matcher(text);
        if (date.find()) {
            parameters.put(
                    "start",
                    date.group(1) + "T"
                            + (date.group(2) == null
                                    ? "09:00"
                                    : (date.group(2).length() == 4 ? "0" : "") + date.group(2))
                            + ":00");
        }
        Matcher with = WITH.matcher(text);
        if (with.find()) {
            List<String> attendees = new ArrayList<>();
            for (String name : with.group(1).split("\\s*(?:,|\\band\\b)\\s*")) {
                if (!name.isBlank()) {
                    attendees.add(name.strip());
                }
            }
            parameters.put("attendees", attendees);
        }
        return parameters;
    }
}
