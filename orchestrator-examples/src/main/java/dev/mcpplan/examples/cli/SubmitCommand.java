package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code submit PLAN.md... --store URL}: puts approved plans into a JDBC plan store's queue. */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        description = "Puts approved plans into the queue of a JDBC plan store, where any instance running"
                + " 'run --store' on the same database takes them.")
final class SubmitCommand extends StoreCommand {
    @Parameters(paramLabel = "PLAN.md", arity = "0..*", description = "approved plan files (status: approved)")
    List<Path> files = new ArrayList<>();

    @Option(
            names = "--from-vault",
            paramLabel = "DIR",
            description = "also move every plan of the vault's Approved/ folder into the store (being there is"
                    + " the approval); a file that cannot go in stays")
    Path vault;

    @Override
    int on(JdbcPlanStore plans, PrintWriter out, PrintWriter err) {
        int refused = 0;
        for (Path file : files) {
            try {
                out.println("submitted " + plans.submit(file));
            } catch (RuntimeException e) {
                err.println("error: " + e.getMessage());
                refused++;
            }
        }
        if (vault != null) {
            JdbcPlanStore.ImportResult imported = plans.importApproved(vault);
            imported.submitted().forEach(key -> out.println("submitted " + key));
            imported.left().forEach(why -> err.println("error: " + why));
            refused += imported.left().size();
        }
        return refused == 0 ? 0 : 2;
    }
}
