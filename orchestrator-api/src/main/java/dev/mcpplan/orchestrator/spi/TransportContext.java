package dev.mcpplan.orchestrator.spi;

import io.modelcontextprotocol.json.McpJsonMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What a transport gets from the orchestrator besides the server's definition.
 *
 * <p>Every method but {@link #jsonMapper()} and {@link #requestTimeout()} has a default body, so that a
 * context written against an earlier version keeps compiling.
 */
public interface TransportContext {
    /**
     * The host environment variables a started server inherits by default: the names a program needs
     * to find its tools, its home, its language and its temporary folder. Anything else (tokens, keys)
     * is the host's business, not the server's.
     */
    List<String> DEFAULT_INHERITED_ENVIRONMENT = List.of(
            "PATH",
            "HOME",
            "USER",
            "LOGNAME",
            "LANG",
            "LC_ALL",
            "LC_CTYPE",
            "TZ",
            "TMPDIR",
            "TEMP",
            "TMP",
            "SHELL",
            "TERM",
            "SYSTEMROOT",
            "COMSPEC",
            "PATHEXT",
            "WINDIR",
            "APPDATA",
            "LOCALAPPDATA",
            "USERPROFILE",
            "NODE_PATH",
            "JAVA_HOME");

    /** The JSON mapper every transport of this orchestrator uses; never pick one through ServiceLoader. */
    McpJsonMapper jsonMapper();

    /**
     * The time-out for one request to the server: the server's own when configured, else the
     * orchestrator's default. A transport that tracks requests fails one that has had no answer by
     * then, and tells the server to cancel it. For a request that carries a {@code progressToken}, each
     * progress notification for that token starts the time-out again, up to {@link #maxCallTime()}.
     */
    Duration requestTimeout();

    /**
     * How long a server may take to start: a transport that tracks requests gives the requests of the
     * start (up to the answer to the first {@code tools/list}) this time-out when it is the longer. By
     * default the request time-out.
     */
    default Duration startTimeout() {
        return requestTimeout();
    }

    /**
     * The longest a request may run in all, however often it reports progress. By default ten times
     * the request time-out.
     */
    default Duration maxCallTime() {
        return requestTimeout().multipliedBy(10);
    }

    /**
     * Which host environment variables a started server inherits, by name, matched ignoring case; a
     * name ending in {@code *} matches every variable that starts with what comes before it (such as
     * {@code npm_config_*}). By default {@link #DEFAULT_INHERITED_ENVIRONMENT}. The server's own
     * {@code env} comes on top.
     */
    default List<String> inheritedEnvironment() {
        return DEFAULT_INHERITED_ENVIRONMENT;
    }

    /**
     * What every text a transport logs or puts in an exception message goes through first: server stderr
     * lines, server log notifications, reasons for a server's death. It masks what the orchestrator knows to
     * be secret (the server's configured {@code env} and {@code headers} values, token shapes, secret-looking
     * {@code key=value} pairs). By default the identity.
     */
    default UnaryOperator<String> redactor() {
        return UnaryOperator.identity();
    }

    /**
     * A folder where a transport may keep state across runs of the host, such as the processes it
     * started, so that a host started again can end what a killed one left running. By default
     * {@code mcp-orchestrator-USER} in {@code java.io.tmpdir}.
     */
    default Path stateDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"), "mcp-orchestrator-" + System.getProperty("user.name"));
    }
}
