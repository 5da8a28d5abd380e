package dev.mcpplan.examples.servers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** An example e-mail server: {@code send_email} writes each message into {@code --outbox DIR}. */
public final class EmailServer {
    private EmailServer() {}

    public static void main(String[] args) throws IOException {
        Path outbox = ExampleServer.folder(args, "--outbox");
        ExampleServer.serve(
                "email-server",
                List.of(ExampleServer.tool(
                        "send_email",
                        "Sends an e-mail.",
                        """
                {"type":"object","additionalProperties":false,"required":["to","subject","body"],
                 "properties":{
                   "to":{"oneOf":[{"type":"string","format":"email"},{"type":"array","items":{"type":"string"}}]},
                   "cc":{"type":"array","items":{"type":"string"}},
                   "subject":{"type":"string","minLength":1},
                   "body":{"type":"string"},
                   "attachments":{"type":"array","items":{"type":"string"}}}}
                """,
                        ExampleServer.sideEffect("Send e-mail"),
                        request -> ExampleServer.once(
                                outbox,
                                request,
                                r -> ExampleServer.write(
                                        ExampleServer.newFile(outbox, "mail", ".eml"),
                                        "To: " + ExampleServer.text(r, "to") + "\nSubject: "
                                                + ExampleServer.text(r, "subject") + "\n\n"
                                                + ExampleServer.text(r, "body") + "\n")))));
    }
}
