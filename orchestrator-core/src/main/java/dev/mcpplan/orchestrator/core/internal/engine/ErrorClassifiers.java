package dev.mcpplan.orchestrator.core.internal.engine;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.spi.CallFailure;
import dev.mcpplan.orchestrator.spi.Classification;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The classifier chain: the given classifiers by priority, highest first, then the built-in one, which
 * always answers.
 *
 * <p>Immutable and thread-safe.
 */
public final class ErrorClassifiers {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorClassifiers.class);
    private static final ErrorClassifier BUILT_IN = new DefaultErrorClassifier();
    /** How the transports say a start failed for good: the process could not be spawned, or it exited at start. */
    private static final Pattern CANNOT_START =
            Pattern.compile("Cannot run program|No such file or directory|error=13\\b|exited with code [1-9]");

    private final List<ErrorClassifier> chain;
    private final Redactor redactor;

    public ErrorClassifiers(List<ErrorClassifier> classifiers, Redactor redactor) {
        this.redactor = redactor;
        List<ErrorClassifier> sorted = new ArrayList<>(classifiers);
        sorted.sort(Comparator.comparingInt(ErrorClassifier::priority).reversed());
        sorted.add(BUILT_IN);
        this.chain = List.copyOf(sorted);
    }

    /** The first classifier's answer. */
    Classification classify(CallFailure failure) {
        for (ErrorClassifier classifier : chain) {
            try {
                Optional<Classification> answer = classifier.classify(failure);
                if (answer.isPresent()) {
                    return answer.get();
                }
            } catch (RuntimeException e) {
                LOG.warn(
                        "error classifier {} failed; asking the next: {}",
                        classifier.getClass().getName(),
                        redactor.redact(e));
            }
        }
        throw new IllegalStateException("the built-in classifier answers every failure");
    }

    /**
     * Whether a server's start failed in a way that starting it again will not mend: its command or a
     * file it needs does not exist, or it exited with a non-zero code before it initialized, or the
     * server refused the opening for good: this client's credentials (AUTHENTICATION) or its request,
     * such as its protocol revision (VALIDATION), as the classifiers read the failure. Such a server is a
     * configuration problem, not an outage to wait out.
     *
     * @param server the server's name
     * @param error a failure known to come from starting the server (not from a call to it)
     */
    boolean cannotStart(String server, Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (CANNOT_START.matcher(m).find()) {
                return true;
            }
        }
        ErrorKind kind =
                classify(failure(server, McpSchema.METHOD_INITIALIZE, error)).kind();
        return kind == ErrorKind.AUTHENTICATION || kind == ErrorKind.VALIDATION;
    }

    /** The failure of a call that raised {@code error}. */
    static CallFailure failure(String server, String tool, Throwable error) {
        Optional<Integer> code = Optional.empty();
        for (Throwable t = error; t != null && code.isEmpty(); t = t.getCause()) {
            if (t instanceof McpError mcp && mcp.getJsonRpcError() != null) {
                code = Optional.ofNullable(mcp.getJsonRpcError().code());
            }
        }
        return new CallFailure(server, tool, Optional.of(error), code, messageOf(error), Optional.empty());
    }

    /** The failure of a call whose tool answered {@code isError}. */
    static CallFailure failure(String server, String tool, McpSchema.CallToolResult result, String text) {
        return new CallFailure(
                server,
                tool,
                Optional.empty(),
                Optional.empty(),
                text,
                Optional.ofNullable(result.structuredContent()));
    }

    /**
     * The message of an exception chain: the outermost message that says something, followed by the
     * root cause's when that adds to it ("failed to initialize: server 'x' exited with code 2").
     */
    public static String messageOf(Throwable error) {
        Throwable t = error;
        while (t.getCause() != null
                && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString()))) {
            t = t.getCause();
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String outer = textOf(t);
        String inner = textOf(root);
        return root == t || outer.contains(inner) ? outer : outer + ": " + inner;
    }

    private static String textOf(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip();
    }
}
