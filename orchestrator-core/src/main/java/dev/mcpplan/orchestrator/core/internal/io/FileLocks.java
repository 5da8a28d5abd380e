package dev.mcpplan.orchestrator.core.internal.io;

import dev.failsafe.Failsafe;
import dev.failsafe.FailsafeException;
import dev.failsafe.RetryPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.time.Duration;

/**
 * Exclusive locks on files shared by several processes.
 *
 * <p>{@link FileChannel#lock()} waits in the kernel, and Linux then checks for a deadlock between the
 * waiting process and the holder as if each process were one thread: when one thread of process A waits
 * for a lock that B holds, while a thread of B waits for another lock that a different thread of A
 * holds, the kernel refuses the wait with {@code EDEADLK} ("Resource deadlock avoided"), though
 * neither holder waits for anything and both locks are released a moment later. Two orchestrators on
 * one vault, each running plans on several threads and locking the ledger, the audit log and the
 * dashboard, meet that case. So these locks are taken with {@link FileChannel#tryLock()}, which never
 * waits in the kernel, tried again under a Failsafe retry policy with a backoff from 0.1 ms up to 5 ms.
 *
 * <p>A JVM may not hold two locks on one file: callers queue the threads of their own JVM first.
 */
public final class FileLocks {
    /** While another process holds the lock, try again; a failure to lock is not retried. */
    private static final RetryPolicy<FileLock> UNTIL_FREE = RetryPolicy.<FileLock>builder()
            .handleIf((lock, failure) -> failure == null && lock == null)
            .withBackoff(Duration.ofNanos(100_000), Duration.ofMillis(5))
            .withMaxRetries(-1)
            .build();

    private FileLocks() {}

    /**
     * An exclusive lock on the whole of {@code channel}'s file, once every other process has let go.
     *
     * @throws InterruptedIOException if the thread is interrupted while it waits; its interrupt flag stays set
     */
    public static FileLock exclusive(FileChannel channel) throws IOException {
        try {
            return Failsafe.with(UNTIL_FREE).get(channel::tryLock);
        } catch (FailsafeException e) {
            if (e.getCause() instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a lock on a shared file");
            }
            if (e.getCause() instanceof IOException failure) {
                throw failure;
            }
            throw e;
        }
    }
}
