package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.core.AuditLog;
import dev.mcpplan.orchestrator.jdbc.JdbcAuditSink;
import dev.mcpplan.orchestrator.jdbc.JdbcPlanStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code verify-log DIR_OR_FILE} or {@code verify-log --store URL}: checks the hash chain of audit logs
 * (files, or a JDBC store's table), keyed when the key variable is set.
 */
@Command(
        name = "verify-log",
        mixinStandardHelpOptions = true,
        description = {
            "Checks the hash chain of an audit log file, or of every *.jsonl file in a folder (such as the vault's"
                    + " Logs/), and the order of each plan's lines: names the first line that was edited, removed,"
                    + " reordered, cut short or cannot have been written in that order.",
            "With the signing key in the key variable, the chain must be the key's HMAC-SHA256 on every line, so"
                    + " that a line appended or a log rewritten without the key is found. The key is read from an"
                    + " environment variable, never from the command line."
        })
final class VerifyLogCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR_OR_FILE", arity = "0..1", description = "a .jsonl audit log, or a folder of them")
    Path target;

    @ArgGroup(exclusive = false)
    StoreOptions store;

    @Mixin
    SigningKeyOption signingKey;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        byte[] key = signingKey.key();
        if ((target == null) == (store == null)) {
            throw new IllegalArgumentException("give a log file or folder, or --store URL: one of them");
        }
        Map<String, AuditLog.Verification> results = new LinkedHashMap<>();
        if (store != null) {
            try (JdbcPlanStore plans = store.open(System.getenv())) {
                results.put("mcp_audit in " + plans.id(), new JdbcAuditSink(plans, key).verify());
            }
        } else if (Files.isDirectory(target)) {
            AuditLog.verifyFolder(target, key).forEach((file, v) -> results.put(file.toString(), v));
        } else {
            results.put(target.toString(), AuditLog.verify(target, key));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(
                key == null
                        ? "no key in $" + signingKey.variable
                                + ": a plain chain is checked, which a rewrite with fresh hashes" + " passes"
                        : "checked with the key in $" + signingKey.variable + " (HMAC-SHA256)");
        boolean intact = true;
        for (Map.Entry<String, AuditLog.Verification> e : results.entrySet()) {
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
