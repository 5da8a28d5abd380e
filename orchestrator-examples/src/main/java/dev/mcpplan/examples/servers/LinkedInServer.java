package dev.mcpplan.examples.servers;

import java.io.IOException;

/** An example server: {@code post_linkedin} writes each call as a file into {@code --outbox DIR}. */
public final class LinkedInServer {
    private LinkedInServer() {}

    public static void main(String[] args) throws IOException {
        ExampleServer.outbox(args, "linkedin-server", "post_linkedin", "Posts to LinkedIn.", "post.txt", """
                {"type":"object","additionalProperties":false,"required":["text"],
                 "properties":{"text":{"type":"string","minLength":1},"visibility":{"enum":["public","connections"]}}}
                """);
    }
}
