package dev.mcpplan.orchestrator.core.internal.io;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.util.concurrent.locks.LockSupport;

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
 * waits in the kernel, polling with a backoff from 0.1 ms up to 5 ms.
 *
 * <p>A JVM may not hold two locks on one file: callers queue the threads of their own JVM first.
 */
public final class FileLocks {
    private static final long FIRST_PAUSE_NANOS = 100_000;
    private static final long LONGEST_PAUSE_NANOS = 5_000_000;

    private FileLocks() {}

    /**
     * An exclusive lock on the whole of {@code channel}'s file, once every other process has let go.
     *
     * @throws InterruptedIOException if the thread is interrupted while it waits; its interrupt flag stays set
     */
    public static FileLock exclusive(FileChannel channel) throws IOException {
        long pause = FIRST_PAUSE_NANOS;
        for (FileLock lock = channel.tryLock(); ; lock = channel.tryLock()) {
            if (lock != null) {
                return lock;
            }
            LockSupport.parkNanos(pause);
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedIOException("interrupted while waiting for a lock on a shared file");
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
        }
    }
}
