package dev.mcpplan.examples.servers;

import java.io.IOException;

/** An example server: {@code send_whatsapp} writes each call as a file into {@code --outbox DIR}. */
public final class WhatsAppServer {
    private WhatsAppServer() {}

    public static void main(String[] args) throws IOException {
        ExampleServer.outbox(args, "whatsapp-server", "send_whatsapp", "Sends a WhatsApp message.", "message.txt", """
                {"type":"object","additionalProperties":false,"required":["to","message"],
                 "properties":{"to":{"type":"string","pattern":"^\\\\+?[0-9]{8,15}$"},"message":{"type":"string","minLength":1}}}
                """);
    }
}
