package dev.mcpplan.examples.cli;

import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Option;

/**
 * The option of the commands that need the signing key: which environment variable holds it. The key itself is
 * never taken from the command line, where other users of the machine can read it.
 */
final class SigningKeyOption {
    @Option(
            names = "--key-env",
            paramLabel = "VAR",
            defaultValue = "MCP_APPROVAL_KEY",
            description = "the environment variable holding the signing key (default MCP_APPROVAL_KEY)")
    String variable;

    /** The key's bytes, or null when the variable is unset or empty. */
    byte[] key() {
        String value = System.getenv(variable);
        return value == null || value.isEmpty() ? null : value.getBytes(StandardCharsets.UTF_8);
    }
}
