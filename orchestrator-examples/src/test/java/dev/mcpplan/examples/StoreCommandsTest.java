package dev.mcpplan.examples;

import static dev.mcpplan.examples.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.jdbc.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands of a JDBC plan store, against a real PostgreSQL and a real MCP server over stdio. */
class StoreCommandsTest {
    @TempDir
    Path dir;

    private String url;
    private String config;

    @BeforeEach
    void setUp() {
        url = Database.fresh();
        config = Servers.config(
                        dir.resolve("mcp.json"),
                        Map.of(
                                "fault",
                                Servers.faultServerEntry(
                                        Map.of(),
                                        "--log",
                                        dir.resolve("sent.log").toString())),
                        Map.of("actions", Map.of("record", "fault")))
                .toString();
    }

    private Path plan(Path folder, String id, String status) throws IOException {
        Files.createDirectories(folder);
        return Files.writeString(folder.resolve(id + ".md"), """
                ---
                plan_id: %s
                status: %s
                ---
                # %s

                ## Steps
                - [ ] Record it
                  - action: record
                  - text: %s
                """.formatted(id, status, id, id));
    }

    @Test
    void plansGoInThenRunThenTheirRecordIsThere() throws IOException {
        Path vault = dir.resolve("vault");
        Path waiting = plan(vault.resolve("Approved"), "from-vault", "pending_approval");

        assertThat(run(
                        "submit",
                        plan(dir, "alpha", "approved").toString(),
                        plan(dir, "beta", "approved").toString(),
                        "--from-vault",
                        vault.toString(),
                        "--store",
                        url,
                        "--store-user",
                        "postgres"))
                .satisfies(r -> {
                    assertThat(r.exit()).isZero();
                    assertThat(r.out()).contains("submitted alpha", "submitted beta", "submitted from-vault");
                });
        assertThat(waiting).as("moved into the store").doesNotExist();
        assertThat(run("list", "--store", url, "--store-user", "postgres").out().lines())
                .hasSize(3)
                .allMatch(l -> l.contains("queued"));

        Cli.Run ran = run("run", "--store", url, "--store-user", "postgres", "--config", config, "--once");

        assertThat(ran.exit()).as(ran.all()).isZero();
        assertThat(Files.readAllLines(dir.resolve("sent.log"))).hasSize(3);
        assertThat(run("list", "--store", url, "--store-user", "postgres").out().lines())
                .hasSize(3)
                .allMatch(l -> l.contains("completed"));
        assertThat(run("show", "alpha", "--store", url, "--store-user", "postgres")
                        .out())
                .contains("plan alpha: completed, runs 1", "1: succeeded", "step 1 record -> fault/record: succeeded");
    }

    @Test
    void whatCannotGoInIsSaidAndNothingElseIsLost() throws IOException {
        Cli.Run submitted = run(
                "submit",
                plan(dir, "draft", "draft").toString(),
                plan(dir, "fine", "approved").toString(),
                "--store",
                url,
                "--store-user",
                "postgres");

        assertThat(submitted.exit()).isEqualTo(2);
        assertThat(submitted.err()).contains("error: " + dir.resolve("draft.md"), "not approved");
        assertThat(submitted.out()).contains("submitted fine");
        assertThat(run("show", "nothing-here", "--store", url, "--store-user", "postgres"))
                .satisfies(r -> {
                    assertThat(r.exit()).isEqualTo(2);
                    assertThat(r.err()).contains("no plan nothing-here");
                });
    }

    @Test
    void theUrlTakesItsSecretsFromTheEnvironment() {
        Cli.Run listed = Cli.process(
                Map.of("PLAN_STORE_URL", url, "PGUSER", "postgres"), "list", "--store", "${PLAN_STORE_URL}");
        assertThat(listed.exit()).as(listed.all()).isZero();

        Cli.Run missing = run("list", "--store", "jdbc:postgresql://localhost/plans?password=${NOT_SET_ANYWHERE}");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("${NOT_SET_ANYWHERE}", "not set");
    }
}
