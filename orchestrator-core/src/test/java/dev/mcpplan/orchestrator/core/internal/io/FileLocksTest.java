package dev.mcpplan.orchestrator.core.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Locks held by another process, which is how a second orchestrator on a vault holds them. */
class FileLocksTest {
    @TempDir
    Path dir;

    /** Locks the file {@code args[0]}, says {@code locked}, and holds the lock until its input ends. */
    public static void main(String[] args) throws IOException {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
            channel.lock();
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
                // holding the lock until the test closes this process's input
            }
        }
    }

    private Process holder(Path file) throws IOException {
        Process holder = new ProcessBuilder(
                        Servers.java(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        FileLocksTest.class.getName(),
                        file.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String said =
                new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(said).isEqualTo("locked");
        return holder;
    }

    @Test
    void waitsUntilTheOtherProcessLetsGo() throws Exception {
        Path file = dir.resolve("ledger.jsonl");
        try (FileChannel channel =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Process holder = holder(file);
            CompletableFuture<FileLock> taken = CompletableFuture.supplyAsync(() -> {
                try {
                    return FileLocks.exclusive(channel);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(300);
            assertThat(taken).as("taken while the other process holds it").isNotDone();

            holder.getOutputStream().close();
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
            FileLock lock = taken.get(30, TimeUnit.SECONDS);
            assertThat(lock.isValid()).isTrue();
            assertThat(lock.isShared()).isFalse();
            lock.release();
        }
    }

    @Test
    @Timeout(120) // without the interrupt ending it, the wait would last as long as the other process
    void anInterruptEndsTheWait() throws Exception {
        Path file = dir.resolve("dashboard.lock");
        try (FileChannel channel =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Process holder = holder(file);
            try {
                Thread waiter = Thread.currentThread();
                CompletableFuture.runAsync(
                        () -> waiter.interrupt(), CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
                assertThatThrownBy(() -> FileLocks.exclusive(channel)).isInstanceOf(InterruptedIOException.class);
                assertThat(Thread.interrupted())
                        .as("the interrupt flag stays set")
                        .isTrue();
            } finally {
                holder.getOutputStream().close();
                holder.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
