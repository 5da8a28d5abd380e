package dev.mcpplan.orchestrator.http;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.spi.CallFailure;
import dev.mcpplan.orchestrator.spi.Classification;
import dev.mcpplan.orchestrator.spi.ErrorClassifier;
import java.util.Optional;

/**
 * Classifies the failures an HTTP server's status explains: 401 and 403 are AUTHENTICATION, 429 is
 * RATE_LIMIT with the server's {@code Retry-After}, 5xx is SERVER_ERROR, a 400 to the opening is
 * VALIDATION (the server refuses this client's protocol revision). Everything else is left to the next
 * classifier.
 *
 * <p>Stateless and thread-safe. {@link HttpTransportProvider#errorClassifiers()} hands it to the
 * orchestrator with the transport.
 */
public final class HttpStatusClassifier implements ErrorClassifier {
    /** A classifier of HTTP statuses. */
    public HttpStatusClassifier() {
        // stateless
    }

    @Override
    public Optional<Classification> classify(CallFailure failure) {
        for (Throwable t = failure.exception().orElse(null); t != null; t = t.getCause()) {
            if (t instanceof HttpStatusException e) {
                return Optional.of(classify(e, failure.message()));
            }
        }
        return Optional.empty();
    }

    private static Classification classify(HttpStatusException e, String message) {
        int status = e.status();
        if (status == 401 || status == 403) {
            return Classification.of(ErrorKind.AUTHENTICATION, message);
        }
        if (status == 429) {
            return new Classification(ErrorKind.RATE_LIMIT, message, e.retryAfter());
        }
        if (status >= 500) {
            return Classification.of(ErrorKind.SERVER_ERROR, message);
        }
        return Classification.of(ErrorKind.VALIDATION, message);
    }

    /** Before the built-in classifier, which reads only texts and JSON-RPC codes. */
    @Override
    public int priority() {
        return 100;
    }
}
