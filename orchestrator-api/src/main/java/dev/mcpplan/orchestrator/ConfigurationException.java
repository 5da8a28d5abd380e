package dev.mcpplan.orchestrator;

/**
 * Bad configuration: an unreadable or invalid server or settings file, an unset {@code ${VAR}}, two
 * plugins claiming one id or one transport type, a server with no transport. The message names the
 * file or the plugin and what is wrong.
 */
public class ConfigurationException extends OrchestratorException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
