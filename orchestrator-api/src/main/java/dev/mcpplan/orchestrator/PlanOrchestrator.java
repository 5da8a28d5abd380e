package dev.mcpplan.orchestrator;

import dev.mcpplan.orchestrator.spi.PlanStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Carries out approved plans: detects each step's action, routes it to an MCP server and tool, checks
 * the approval, calls the tool and records what happened.
 *
 * <p>Build one with {@code McpPlanOrchestrator.builder()} from {@code orchestrator-core}, keep it for
 * the life of the application (servers are started once and reused), and {@link #close()} it at the
 * end: that ends every server process it started.
 *
 * <p>Thread-safe: plans may be checked and executed from several threads.
 */
public interface PlanOrchestrator extends AutoCloseable {
    /**
     * Reads a plan file (markdown with YAML front matter, or an approval request).
     *
     * @throws PlanFormatException naming the file, line and problem, if the file is not a readable plan
     *     or cannot be read at all (missing, unreadable: the cause is the {@link java.io.IOException})
     */
    Plan parse(Path file);

    /**
     * A dry run: what each step would do and everything that would stop it, without calling any tool.
     * Servers are started (to read their tool schemas) only if the orchestrator was built to do so.
     */
    CheckReport check(Plan plan);

    /**
     * Runs the plan's unchecked steps: approval check and preflight first (nothing runs unless every
     * step can), then each step through its server and tool. The plan's approval is consumed: a second
     * run of it is refused (see {@link dev.mcpplan.orchestrator.spi.ApprovalLedger}).
     *
     * @return what became of the plan; failures are reported here, not thrown
     */
    PlanResult execute(Plan plan);

    /**
     * Queues the plan to be run as {@link #execute} runs it, and returns at once. At most
     * {@code maxConcurrentPlans} plans run at once (2 by default); the most urgent (front matter
     * {@code priority}) goes first, a plan that waits long gains urgency, and no thread waits per plan.
     *
     * @return the plan's result once it has run; completed exceptionally only if the run itself broke
     */
    CompletableFuture<PlanResult> submit(Plan plan);

    /**
     * Claims every plan the store has ready, runs each, and hands each result back to the store (which
     * moves a completed plan to done, a failed one to failed).
     *
     * @return the results, in the order the plans ran
     */
    List<PlanResult> processReady(PlanStore store);

    /**
     * Starts every configured server (if not yet started), lists its tools and pings it. A server that
     * is down says why: its exit code and last stderr lines, "command not found", the time-out.
     *
     * @return one entry per configured server, by name, or per instance of a server that runs as several
     *     ({@code NAME#1}, {@code NAME#2}, ...); empty when none is configured
     */
    List<ServerHealth> health();

    /** Ends every server process this orchestrator started. Idempotent. */
    @Override
    void close();
}
