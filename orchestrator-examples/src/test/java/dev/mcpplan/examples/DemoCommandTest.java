package dev.mcpplan.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.examples.cli.OrchestratorCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo, end to end: sample vault, example servers as real processes, the plugin, the vault lifecycle. */
class DemoCommandTest {
    @TempDir
    Path dir;

    private static long count(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.toString().endsWith(".md")).count();
        }
    }

    @Test
    void theDemoRunsEveryPlanAndTheOneMeantToFailFails() throws IOException {
        Path vault = dir.resolve("vault");
        assertThat(OrchestratorCli.run("demo", "--dir", vault.toString())).isZero();

        assertThat(count(vault.resolve("Done"))).isEqualTo(3);
        assertThat(count(vault.resolve("Failed"))).isEqualTo(1);
        assertThat(count(vault.resolve("Approved"))).isZero();
        assertThat(Files.readString(vault.resolve("Failed/04-fails-on-purpose.md")))
                .contains("status: failed")
                .contains("outside the vault");
        assertThat(dir.resolve("outside.md")).doesNotExist();
        assertThat(Files.readString(vault.resolve("Clients/acme.md"))).isEqualTo("Sent the Q4 proposal.");
        assertThat(Files.readString(vault.resolve("Done/02-announce-launch.md")))
                .contains("2. [x] Step 2: Schedule a meeting")
                .contains("3. [x] Step 3: Read from vault Clients/launch-brief.md")
                .contains("calendar_event -> calendar-server");
        try (Stream<Path> mails = Files.list(vault.resolve("Outbox/email"))) {
            assertThat(mails.filter(p -> p.toString().endsWith(".eml")).toList())
                    .singleElement()
                    .satisfies(p -> assertThat(Files.readString(p)).contains("To: client@example.com"));
        }
        try (Stream<Path> messages = Files.list(vault.resolve("Outbox/whatsapp"))) {
            assertThat(messages.filter(p -> p.toString().endsWith(".txt")).toList())
                    .singleElement()
                    .satisfies(p -> assertThat(Files.readString(p)).contains("door code"));
        }
        assertThat(Files.readString(vault.resolve("Dashboard.md"))).contains("20260216-141530-Plan: completed");
    }

    @Test
    void theQuickStartRunsAPlan() throws IOException {
        Path vault = dir.resolve("vault");
        OrchestratorCli.run("demo", "--dir", vault.toString());
        Path plan = dir.resolve("read-a-note.md"); // its plan id: one plan id runs once
        Files.writeString(plan, """
                ---
                status: approved
                ---
                # Read a note
                ## Steps
                - [ ] Read from vault Clients/acme.md
                """);
        assertThat(QuickStart.run(vault.resolve("mcp.json"), plan, dir.resolve("logs"))
                        .completed())
                .isTrue();
        assertThat(dir.resolve("logs")).isNotEmptyDirectory();
    }

    @Test
    void checkPrintsATableAndExitsNonZeroOnProblems() throws IOException {
        Path vault = dir.resolve("vault");
        OrchestratorCli.run("demo", "--dir", vault.toString());
        Path plan = dir.resolve("plan.md");
        Files.writeString(plan, """
                ---
                status: approved
                approved_actions: [send_email]
                ---
                # Mixed
                ## Steps
                - [ ] Send email to client@example.com
                  - subject: Hi
                - [ ] Post to LinkedIn about it
                  - text: hello
                """);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        int code;
        System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            code = OrchestratorCli.run(
                    "check",
                    plan.toString(),
                    "--config",
                    vault.resolve("mcp.json").toString());
        } finally {
            System.setOut(old);
        }
        String table = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(code).isEqualTo(1);
        assertThat(table)
                .contains("send_email")
                .contains("phrases")
                .contains("email-server/send_email")
                .contains("to=c***@***.com")
                .contains(
                        "MISSING_PARAMETER: step 1 (send_email): the tool email-server/send_email requires the parameter 'body'")
                .contains("ACTION_NOT_APPROVED: step 2 (post_linkedin)");
    }

    @Test
    void runWatchesApprovedAndExecutesAPlanThatAppearsLater() throws Exception {
        Path vault = dir.resolve("vault");
        OrchestratorCli.run("demo", "--dir", vault.toString());
        Thread host = new Thread(() -> OrchestratorCli.run(
                "run",
                "--vault",
                vault.toString(),
                "--config",
                vault.resolve("mcp.json").toString(),
                "--poll",
                "PT30S"));
        host.start();
        try {
            Thread.sleep(1_000); // the host is waiting on Approved/ by now
            Files.writeString(vault.resolve("Approved/late.md"), """
                    ---
                    plan_id: late-arrival
                    ---
                    # Arrives while the host waits
                    ## Steps
                    - [ ] Read from vault Clients/acme.md
                    """);
            Path done = vault.resolve("Done/late.md");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!Files.exists(done) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(done)
                    .as("picked up by file-system events, long before the 30 s poll")
                    .exists();
            assertThat(Files.readString(done)).contains("status: completed");
        } finally {
            host.interrupt();
            host.join(10_000);
        }
        assertThat(host.isAlive()).as("the host stops when interrupted").isFalse();
    }
}
