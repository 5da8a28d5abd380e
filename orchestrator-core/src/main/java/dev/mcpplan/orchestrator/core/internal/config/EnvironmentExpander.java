package dev.mcpplan.orchestrator.core.internal.config;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Expands {@code ${VAR}} and {@code ${VAR:-default}} in configuration values from an environment map.
 * Expanded values are never logged: they are often secrets.
 */
public final class EnvironmentExpander {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private final Map<String, String> environment;

    public EnvironmentExpander(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /**
     * @param where names the value for the error message, such as {@code mcp.json: server 'crm', header Authorization}
     * @throws IllegalArgumentException naming the variable and where, if it is unset and has no default
     */
    public String expand(String value, String where) {
        Matcher m = REFERENCE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String replacement = environment.get(name);
            if (replacement == null) {
                replacement = m.group(2);
            }
            if (replacement == null) {
                throw new IllegalArgumentException(
                        where + " uses ${" + name + "}, but the environment variable " + name + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
