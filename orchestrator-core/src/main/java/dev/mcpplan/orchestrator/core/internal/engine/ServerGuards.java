package dev.mcpplan.orchestrator.core.internal.engine;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.Policy;
import dev.failsafe.RateLimitExceededException;
import dev.failsafe.RateLimiter;
import dev.failsafe.Timeout;
import dev.failsafe.function.CheckedSupplier;
import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.internal.config.ServerLimits;
import dev.mcpplan.orchestrator.core.internal.config.Settings;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What guards each server, shared by every call to it: a Failsafe circuit breaker (after N consecutive
 * failures calls fail fast as unavailable until a half-open probe succeeds), the configured Failsafe
 * rate limit, the concurrency limit, and a Failsafe time-out guard around each call. The guard is the
 * longest call time ({@code maxCallTime}) plus one second, since progress keeps a call alive past its
 * request time-out: the transport's own time-out (which progress restarts) normally fires first and
 * cancels the request; the guard bounds calls through transports that have none.
 *
 * <p>The concurrency limit is a plain {@link Semaphore}, not Failsafe's bulkhead: in Failsafe 3.3.2 a
 * bulkhead with a maximum wait loses a permit every time a wait times out (failsafe-lib/failsafe#393),
 * until the server can take no call at all.
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
    private record Guard(
            CircuitBreaker<Object> breaker,
            Optional<RateLimiter<Object>> limiter,
            Optional<Semaphore> concurrency,
            Timeout<Object> timeout,
            Duration ratePeriodPerCall) {}

    /** No slot of the server's concurrency limit came free: our own limit, not a failure of the server. */
    private static final class ServerBusyException extends RequestNotSentException {
        private static final long serialVersionUID = 1L;

        ServerBusyException(String message) {
            super(message);
        }
    }

    /** Whether a call failed only because the server's concurrency limit had no free slot. */
    static boolean busy(Throwable error) {
        return error instanceof ServerBusyException;
    }

    /** The server's policies around each attempt, outermost first: circuit breaker, rate limiter. */
    List<Policy<Object>> policies(String server, Duration requestTimeout) {
        Guard g = guard(server, requestTimeout);
        List<Policy<Object>> out = new ArrayList<>();
        out.add(g.breaker());
        g.limiter().ifPresent(out::add);
        return out;
    }

    /**
     * Makes one call within the server's concurrency limit (waiting up to the request time-out for a
     * free slot) and its time-out guard.
     *
     * @throws RequestNotSentException if no slot came free in time (nothing was sent), or as the call
     *     raised it
     */
    <T> T call(String server, Duration requestTimeout, CheckedSupplier<T> call) {
        Guard g = guard(server, requestTimeout);
        if (g.concurrency().isEmpty()) {
            return Failsafe.with(g.timeout()).get(call::get);
        }
        Semaphore slots = g.concurrency().get();
        try {
            if (!slots.tryAcquire(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ServerBusyException("server '" + server + "' has "
                        + settings.limitsFor(server).maxConcurrent()
                        + " calls in flight, its limit; no slot came free in "
                        + requestTimeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerBusyException("interrupted while waiting for a slot at server '" + server + "'");
        }
        try {
            return Failsafe.with(g.timeout()).get(call::get);
        } finally {
            slots.release();
        }
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
                    .onOpen(e -> LOG.warn(
                            "server '{}' failed {} times in a row: its circuit is open for {} ms",
                            name,
                            settings.circuitFailures(),
                            settings.circuitDelay().toMillis()))
                    .onHalfOpen(e -> LOG.info("server '{}': circuit half-open, the next call is a probe", name))
                    .onClose(e -> LOG.info("server '{}': circuit closed", name))
                    .build();
            Optional<RateLimiter<Object>> limiter = limits.period()
                    .map(period -> RateLimiter.burstyBuilder(limits.rateLimit(), period)
                            .build());
            Optional<Semaphore> concurrency = limits.maxConcurrent() > 0
                    ? Optional.of(new Semaphore(limits.maxConcurrent(), true))
                    : Optional.empty();
            Timeout<Object> timeout = Timeout.builder(
                            settings.maxCallTimeFor(requestTimeout).plus(GUARD_MARGIN))
                    .withInterrupt()
                    .build();
            Duration perCall =
                    limits.period().map(p -> p.dividedBy(limits.rateLimit())).orElse(Duration.ZERO);
            return new Guard(breaker, limiter, concurrency, timeout, perCall);
        });
    }

    /** A failure of the server itself, not of our own limits or of the request. */
    private boolean countsAgainstServer(String server, Throwable error) {
        if (error instanceof RateLimitExceededException
                || error instanceof CircuitBreakerOpenException
                || busy(error)) {
            return false;
        }
        ErrorKind kind = classifiers
                .classify(ErrorClassifiers.failure(server, "", error))
                .kind();
        return kind == ErrorKind.TIMEOUT || kind == ErrorKind.UNAVAILABLE || kind == ErrorKind.SERVER_ERROR;
    }
}
