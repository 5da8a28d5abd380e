package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.core.AuditLog;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code verify-log DIR_OR_FILE}: checks the hash chain of audit logs. */
@Command(
        name = "verify-log",
        mixinStandardHelpOptions = true,
        description = "Checks the hash chain of an audit log file, or of every *.jsonl file in a folder (such as"
                + " the vault's Logs/): names the first line that was edited, removed, reordered or cut short.")
final class VerifyLogCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR_OR_FILE", description = "a .jsonl audit log, or a folder of them")
    Path target;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Map<Path, AuditLog.Verification> results =
                Files.isDirectory(target) ? AuditLog.verifyFolder(target) : Map.of(target, AuditLog.verify(target));
        PrintWriter out = spec.commandLine().getOut();
        boolean intact = true;
        for (Map.Entry<Path, AuditLog.Verification> e : results.entrySet()) {
            AuditLog.Verification v = e.getValue();
            out.printf(
                    "%s: %s (%d lines)%n",
                    e.getKey(), v.intact() ? "intact" : "BROKEN, " + v.problem().orElseThrow(), v.lines());
            intact &= v.intact();
        }
        if (results.isEmpty()) {
            out.println(target + ": no audit log found");
        }
        out.flush();
        return intact && !results.isEmpty() ? 0 : 1;
    }
}
