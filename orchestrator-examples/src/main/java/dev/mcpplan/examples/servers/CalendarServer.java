package dev.mcpplan.examples.servers;

import java.io.IOException;

/** An example server: {@code calendar_event} writes each call as a file into {@code --outbox DIR}. */
public final class CalendarServer {
    private CalendarServer() {}

    public static void main(String[] args) throws IOException {
        ExampleServer.outbox(args, "calendar-server", "calendar_event", "Adds a calendar event.", "event.json", """
                {"type":"object","additionalProperties":false,"required":["title"],
                 "properties":{"title":{"type":"string"},"start":{"type":"string"},"duration_minutes":{"type":"integer"},
                   "attendees":{"type":"array","items":{"type":"string"}}}}
                """);
    }
}
