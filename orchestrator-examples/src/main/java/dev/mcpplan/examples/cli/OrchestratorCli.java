package dev.mcpplan.examples.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command-line host: runs the orchestrator library against a vault and a server configuration.
 * {@code java -jar mcp-orchestrator.jar --help} lists the commands.
 */
@Command(
        name = "mcp-orchestrator",
        mixinStandardHelpOptions = true,
        version = "mcp-orchestrator 0.1.0",
        description = "Executes approved plans against MCP servers.",
        subcommands = {
            DemoCommand.class,
            RunCommand.class,
            SubmitCommand.class,
            ListCommand.class,
            ShowCommand.class,
            ExecuteCommand.class,
            CheckCommand.class,
            HealthCommand.class,
            ApproveCommand.class,
            VerifyLogCommand.class
        })
public final class OrchestratorCli {
    private OrchestratorCli() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code: 0 done, 1 a plan did not complete, 2 bad usage or input. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new OrchestratorCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + e.getMessage());
            return 2;
        });
        return cli.execute(args);
    }
}
