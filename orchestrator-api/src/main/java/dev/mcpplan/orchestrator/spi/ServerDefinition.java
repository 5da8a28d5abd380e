package dev.mcpplan.orchestrator.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One MCP server as configured in an {@code mcpServers} entry, with {@code ${VAR}} references already
 * expanded: for {@code stdio} a command with arguments and environment; for {@code http} a URL with
 * headers.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never prints {@code env} or {@code headers}
 * values: they often hold secrets.
 */
public final class ServerDefinition {
    /** The transport type of servers started as a process. */
    public static final String STDIO = "stdio";
    /** The transport type of servers reached by Streamable HTTP. */
    public static final String HTTP = "http";

    private final String name;
    private final String type;
    private final String command;
    private final List<String> args;
    private final Map<String, String> env;
    private final Path workingDirectory;
    private final String url;
    private final Map<String, String> headers;
    private final Duration requestTimeout;
    private final String origin;

    private ServerDefinition(Builder b) {
        this.name = b.name;
        this.type = b.type;
        this.command = b.command;
        this.args = List.copyOf(b.args);
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.workingDirectory = b.workingDirectory;
        this.url = b.url;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.requestTimeout = b.requestTimeout;
        this.origin = b.origin;
        if (STDIO.equals(type) && (command == null || command.isBlank())) {
            throw new IllegalArgumentException("server '" + name + "' of type stdio needs a command");
        }
        if (HTTP.equals(type) && (url == null || url.isBlank())) {
            throw new IllegalArgumentException("server '" + name + "' of type http needs a url");
        }
    }

    /**
     * @param name the server's key in {@code mcpServers}
     * @param type the transport type, {@link #STDIO}, {@link #HTTP} or one a plugin provides
     */
    public static Builder builder(String name, String type) {
        return new Builder(name, type);
    }

    public Builder toBuilder() {
        Builder b = new Builder(name, type);
        b.command = command;
        b.args.addAll(args);
        b.env.putAll(env);
        b.workingDirectory = workingDirectory;
        b.url = url;
        b.headers.putAll(headers);
        b.requestTimeout = requestTimeout;
        b.origin = origin;
        return b;
    }

    public String name() {
        return name;
    }

    public String type() {
        return type;
    }

    /** The command to start (stdio). */
    public Optional<String> command() {
        return Optional.ofNullable(command);
    }

    public List<String> args() {
        return args;
    }

    /** The server's own environment variables (stdio): they are all the server gets beyond a small allowlist. */
    public Map<String, String> env() {
        return env;
    }

    /** The directory to start the server in (stdio); the host's current directory when absent. */
    public Optional<Path> workingDirectory() {
        return Optional.ofNullable(workingDirectory);
    }

    /** The server's URL (http). */
    public Optional<String> url() {
        return Optional.ofNullable(url);
    }

    /** Headers sent with every request (http). */
    public Map<String, String> headers() {
        return headers;
    }

    /** The time-out for one request to this server, when configured for it. */
    public Optional<Duration> requestTimeout() {
        return Optional.ofNullable(requestTimeout);
    }

    /** Where the definition came from, for messages: a file name, or {@code "code"}. */
    public String origin() {
        return origin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerDefinition s
                && name.equals(s.name)
                && type.equals(s.type)
                && Objects.equals(command, s.command)
                && args.equals(s.args)
                && env.equals(s.env)
                && Objects.equals(workingDirectory, s.workingDirectory)
                && Objects.equals(url, s.url)
                && headers.equals(s.headers)
                && Objects.equals(requestTimeout, s.requestTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, command, args, env, workingDirectory, url, headers, requestTimeout);
    }

    @Override
    public String toString() {
        return "ServerDefinition{" + name + ", " + type
                + (command == null ? "" : ", command=" + command + " " + args)
                + (url == null ? "" : ", url=" + url)
                + (env.isEmpty() ? "" : ", env=" + env.keySet())
                + (headers.isEmpty() ? "" : ", headers=" + headers.keySet()) + "}";
    }

    /** Builds a {@link ServerDefinition}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final String type;
        private String command;
        private final List<String> args = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Path workingDirectory;
        private String url;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Duration requestTimeout;
        private String origin = "code";

        private Builder(String name, String type) {
            this.name = Objects.requireNonNull(name, "name");
            this.type = Objects.requireNonNull(type, "type");
            if (name.isBlank()) {
                throw new IllegalArgumentException("server name must not be blank");
            }
        }

        public Builder command(String command) {
            this.command = command;
            return this;
        }

        public Builder args(List<String> args) {
            this.args.clear();
            args.forEach(a -> this.args.add(Objects.requireNonNull(a, "arg")));
            return this;
        }

        public Builder env(Map<String, String> env) {
            this.env.clear();
            env.forEach((k, v) ->
                    this.env.put(Objects.requireNonNull(k, "env name"), Objects.requireNonNull(v, "env " + k)));
            return this;
        }

        public Builder workingDirectory(Path workingDirectory) {
            this.workingDirectory = workingDirectory;
            return this;
        }

        public Builder url(String url) {
            this.url = url;
            return this;
        }

        public Builder headers(Map<String, String> headers) {
            this.headers.clear();
            headers.forEach((k, v) -> this.headers.put(
                    Objects.requireNonNull(k, "header name"), Objects.requireNonNull(v, "header " + k)));
            return this;
        }

        /**
         * @throws IllegalArgumentException if the time-out is zero or negative
         */
        public Builder requestTimeout(Duration requestTimeout) {
            if (requestTimeout != null && (requestTimeout.isZero() || requestTimeout.isNegative())) {
                throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
            }
            this.requestTimeout = requestTimeout;
            return this;
        }

        public Builder origin(String origin) {
            this.origin = Objects.requireNonNull(origin, "origin");
            return this;
        }

        /**
         * @throws IllegalArgumentException if a stdio server has no command or an http server no url
         */
        public ServerDefinition build() {
            return new ServerDefinition(this);
        }
    }
}
