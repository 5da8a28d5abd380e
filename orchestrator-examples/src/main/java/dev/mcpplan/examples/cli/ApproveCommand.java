package dev.mcpplan.examples.cli;

import dev.mcpplan.orchestrator.Approval;
import dev.mcpplan.orchestrator.core.PlanApprover;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code approve PLAN.md --as EMAIL}: approves and seals a plan file, signing it when a key is at hand. */
@Command(
        name = "approve",
        mixinStandardHelpOptions = true,
        description = {
            "Approves a plan: sets status, approved_by, approved_at and expires_at, and seals the"
                    + " approval (mcp-plan-approval/v2) with approval_hash, which covers the steps, approved_actions,"
                    + " risk_level, plan_id, task_id, approver, times and type as they are now, and, when the key"
                    + " variable is set, approval_signature (HMAC-SHA256 of the same). A plan sealed in an older form"
                    + " is sealed again.",
            "The key is read from an environment variable, never from the command line."
        })
final class ApproveCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PLAN.md", description = "the plan file; rewritten atomically")
    Path plan;

    @Option(names = "--as", paramLabel = "EMAIL", required = true, description = "who approves")
    String approver;

    @Option(
            names = "--expires-in",
            paramLabel = "DURATION",
            defaultValue = "24h",
            converter = DurationConverter.class,
            description = "how long the approval holds (24h, 30m, 7d or ISO-8601; default 24h)")
    Duration expiresIn;

    @Option(
            names = "--actions",
            paramLabel = "ACTION",
            split = ",",
            description = "the actions to list in approved_actions (default: keep the plan's own)")
    List<String> actions;

    @Mixin
    SigningKeyOption signingKey;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Approval approval = PlanApprover.approve(
                plan,
                approver,
                expiresIn,
                actions == null ? null : new LinkedHashSet<>(actions),
                signingKey.key(),
                Clock.systemUTC());
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "approved %s as %s until %s%n",
                plan,
                approval.approvedBy().orElseThrow(),
                approval.expiresAt().map(Object::toString).orElse("(no expiry)"));
        out.printf("approval_hash: %s%n", approval.approvalHash().orElseThrow());
        out.println(
                approval.signature().isPresent()
                        ? "approval_signature: set (HMAC-SHA256, key from $" + signingKey.variable + ")"
                        : "not signed: $" + signingKey.variable + " is not set");
        out.flush();
        return 0;
    }
}
