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
import dev.mcpplan.orchestrator.core.internal.mcp.ServerConnection;
import dev.mcpplan.orchestrator.spi.RequestNotSentException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What guards each server instance, shared by every call to it: a Failsafe circuit breaker (after N
 * consecutive failures calls fail fast as unavailable until a half-open probe succeeds), the
 * concurrency limit, and a Failsafe time-out guard around each call; and, shared by the instances of a
 * server, the configured Failsafe rate limit (a quota is the server's, not one process's). The guard is
 * the longest call time ({@code maxCallTime}) plus one second, since progress keeps a call alive past its
 * request time-out: the transport's own time-out (which progress restarts) normally fires first and
 * cancels the request; the guard bounds calls through transports that have none.
 *
 * <p>The concurrency limit is a plain {@link Semaphore}, not Failsafe's bulkhead: in Failsafe 3.3.2 a
 * bulkhead with a maximum wait loses a permit every time a wait times out (failsafe-lib/failsafe#393),
 * until the server can take no call at all.
 *
 * <p>Calls go to the instance (of the route's servers) with the fewest calls in flight among those
 * whose circuit is closed and that may be started now; the fewest calls so far break a tie, so that
 * one call after another takes the instances in turn.
 *
 * <p>Thread-safe.
 */
final class ServerGuards {
    private static final Logger LOG = LoggerFactory.getLogger(ServerGuards.class);
    private static final Duration GUARD_MARGIN = Duration.ofSeconds(1);
    private static final Comparator<ServerConnection> LEAST_BUSY =
            Comparator.comparingInt(ServerConnection::inFlight).thenComparingLong(ServerConnection::callsStarted);

    private final Settings settings;
    private final ErrorClassifiers classifiers;
    private final Map<String, Guard> guards = new ConcurrentHashMap<>();
    private final Map<String, Optional<RateLimiter<Object>>> limiters = new ConcurrentHashMap<>();

    ServerGuards(Settings settings, ErrorClassifiers classifiers) {
        this.settings = settings;
        this.classifiers = classifiers;
    }

    /** One instance's policies. */
    private record Guard(CircuitBreaker<Object> breaker, Optional<Semaphore> concurrency, Timeout<Object> timeout) {}

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

    /**
     * The instance for the next call among {@code candidates}, counted as in flight until
     * {@link ServerConnection#callEnded()}: the least busy of the healthy ones, or of all when none is.
     */
    synchronized ServerConnection choose(List<ServerConnection> candidates) {
        ServerConnection chosen = candidates.size() == 1
                ? candidates.get(0)
                : candidates.stream()
                        .filter(c -> c.ready() && !open(c))
                        .min(LEAST_BUSY)
                        .orElseGet(() -> candidates.stream().min(LEAST_BUSY).orElseThrow());
        chosen.callChosen();
        return chosen;
    }

    private boolean open(ServerConnection connection) {
        Guard g = guards.get(connection.name());
        return g != null && g.breaker().isOpen();
    }

    /**
     * Makes one call to an instance inside its circuit breaker, its server's rate limit, its concurrency
     * limit (waiting up to the request time-out for a free slot) and its time-out guard.
     *
     * @throws RequestNotSentException if no slot came free in time (nothing was sent), or as the call
     *     raised it
     * @throws dev.failsafe.CircuitBreakerOpenException if the instance's circuit is open (nothing was sent)
     * @throws RateLimitExceededException if the server's rate limit was reached (nothing was sent)
     */
    <T> T call(ServerConnection target, CheckedSupplier<T> call) {
        Guard g = guard(target);
        List<Policy<Object>> outer = new ArrayList<>();
        outer.add(g.breaker());
        limiter(target.definition().name()).ifPresent(outer::add);
        return Failsafe.with(outer).get(() -> withinLimit(target, g, call));
    }

    private <T> T withinLimit(ServerConnection target, Guard g, CheckedSupplier<T> call) {
        if (g.concurrency().isEmpty()) {
            return Failsafe.with(g.timeout()).get(call::get);
        }
        Semaphore slots = g.concurrency().get();
        Duration requestTimeout = target.requestTimeout();
        try {
            if (!slots.tryAcquire(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ServerBusyException("server '" + target.name() + "' has "
                        + settings.limitsFor(target.definition().name()).maxConcurrent()
                        + " calls in flight, its limit; no slot came free in "
                        + requestTimeout.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerBusyException("interrupted while waiting for a slot at server '" + target.name() + "'");
        }
        try {
            return Failsafe.with(g.timeout()).get(call::get);
        } finally {
            slots.release();
        }
    }

    /**
     * How long to wait before trying again after the rate limit of the candidates' servers was hit (the
     * shortest time a call takes under one of them), or when every candidate's circuit is open (the
     * shortest time until one of them lets a probe through).
     */
    Duration waitBefore(List<ServerConnection> candidates, ErrorKind kind) {
        if (kind == ErrorKind.RATE_LIMIT) {
            return candidates.stream()
                    .map(c -> settings.limitsFor(c.definition().name()))
                    .flatMap(limits -> limits.period().map(p -> p.dividedBy(limits.rateLimit())).stream())
                    .min(Comparator.naturalOrder())
                    .orElse(Duration.ZERO);
        }
        Duration shortest = null;
        for (ServerConnection c : candidates) {
            Guard g = guards.get(c.name());
            if (g == null || !g.breaker().isOpen()) {
                return Duration.ZERO;
            }
            Duration left = g.breaker().getRemainingDelay();
            shortest = shortest == null || left.compareTo(shortest) < 0 ? left : shortest;
        }
        return shortest == null ? Duration.ZERO : shortest;
    }

    private Optional<RateLimiter<Object>> limiter(String server) {
        return limiters.computeIfAbsent(server, name -> {
            ServerLimits limits = settings.limitsFor(name);
            return limits.period()
                    .map(period -> RateLimiter.burstyBuilder(limits.rateLimit(), period)
                            .build());
        });
    }

    private Guard guard(ServerConnection target) {
        return guards.computeIfAbsent(target.name(), name -> {
            ServerLimits limits = settings.limitsFor(target.definition().name());
            CircuitBreaker<Object> breaker = CircuitBreaker.builder()
                    .handleIf(e -> countsAgainstServer(target.definition().name(), e))
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
            Optional<Semaphore> concurrency = limits.maxConcurrent() > 0
                    ? Optional.of(new Semaphore(limits.maxConcurrent(), true))
                    : Optional.empty();
            Timeout<Object> timeout = Timeout.builder(
                            settings.maxCallTimeFor(target.requestTimeout()).plus(GUARD_MARGIN))
                    .withInterrupt()
                    .build();
            return new Guard(breaker, concurrency, timeout);
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
