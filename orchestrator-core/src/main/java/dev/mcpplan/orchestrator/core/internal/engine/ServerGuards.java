package dev.mcpplan.orchestrator.core.internal.engine;

import dev.failsafe.Bulkhead;
import dev.failsafe.BulkheadFullException;
import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Policy;
import dev.failsafe.RateLimitExceededException;
import dev.failsafe.RateLimiter;
import dev.failsafe.Timeout;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.internal.config.ServerLimits;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Failsafe policies of each server, shared by every call to it: a circuit breaker (after N
 * consecutive failures calls fail fast as unavailable until a half-open probe succeeds), the configured
 * rate limit and concurrency limit, and a time-out guard per call. The guard is the request time-out
 * plus one second: the transport's own time-out normally fires first and cancels the request; the guard
 * bounds calls through transports that have none.
 *
 * <p>Thread-safe.
 */
final class ServerGuards {
    private static final Logger LOG = LoggerFactory.getLogger(ServerGuards.class);
    private static final Duration GUARD_MARGIN = Duration.ofSeconds(1);

    private final Settings settings;
    private final ErrorClassifiers classifiers;
    private final Map<String, Guard> guards = new ConcurrentHashMap<>();

    ServerGuards(Settings settings, ErrorClassifiers classifiers) {
        this.settings = settings;
        this.classifiers = classifiers;
    }

    /** One server's policies. */
    private record Guard(CircuitBreaker<Object> breaker, Optional<RateLimiter<Object>> limiter,
            Optional<Bulkhead<Object>> bulkhead, Timeout<Object> timeout, Duration ratePeriodPerCall) {
    }

    /** The server's policies, outermost first: circuit breaker, rate limiter, bulkhead, time-out guard. */
    List<Policy<Object>> policies(String server, Duration requestTimeout) {
        Guard g = guard(server, requestTimeout);
        List<Policy<Object>> out = new ArrayList<>();
        out.add(g.breaker());
        g.limiter().ifPresent(out::add);
        g.bulkhead().ifPresent(out::add);
        out.add(g.timeout());
        return out;
    }

    /** How long to wait before trying the server again after its circuit opened or its rate limit was hit. */
    Duration waitBefore(String server, ErrorKind kind) {
        Guard g = guards.get(server);
        if (g == null) {
            return Duration.ZERO;
        }
        if (kind == ErrorKind.RATE_LIMIT) {
            return g.ratePeriodPerCall();
        }
        return g.breaker().isOpen() ? g.breaker().getRemainingDelay() : Duration.ZERO;
    }

    private Guard guard(String server, Duration requestTimeout) {
        return guards.computeIfAbsent(server, name -> {
            ServerLimits limits = settings.limitsFor(name);
            CircuitBreaker<Object> breaker = CircuitBreaker.builder()
                    .handleIf(e -> countsAgainstServer(name, e))
                    .withFailureThreshold(settings.circuitFailures())
                    .withDelay(settings.circuitDelay())
                    .withSuccessThreshold(1)
                    .onOpen(e -> LOG.warn("server '{}' failed {} times in a row: its circuit is open for {} ms", name,
                            settings.circuitFailures(), settings.circuitDelay().toMillis()))
                    .onHalfOpen(e -> LOG.info("server '{}': circuit half-open, the next call is a probe", name))
                    .onClose(e -> LOG.info("server '{}': circuit closed", name))
                    .build();
            Optional<RateLimiter<Object>> limiter = limits.period().map(period ->
                    RateLimiter.burstyBuilder(limits.rateLimit(), period).build());
            Optional<Bulkhead<Object>> bulkhead = limits.maxConcurrent() > 0
                    ? Optional.of(Bulkhead.builder(limits.maxConcurrent()).withMaxWaitTime(requestTimeout).build())
                    : Optional.empty();
            Timeout<Object> timeout = Timeout.builder(requestTimeout.plus(GUARD_MARGIN)).withInterrupt().build();
            Duration perCall = limits.period().map(p -> p.dividedBy(limits.rateLimit())).orElse(Duration.ZERO);
            return new Guard(breaker, limiter, bulkhead, timeout, perCall);
        });
    }

    /** A failure of the server itself, not of our own limits or of the request. */
    private boolean countsAgainstServer(String server, Throwable error) {
        if (error instanceof RateLimitExceededException || error instanceof BulkheadFullException
                || error instanceof CircuitBreakerOpenException) {
            return false;
        }
        ErrorKind kind = classifiers.classify(ErrorClassifiers.failure(server, "", error)).kind();
        return kind == ErrorKind.TIMEOUT || kind == ErrorKind.UNAVAILABLE || kind == ErrorKind.SERVER_ERROR;
    }
}
