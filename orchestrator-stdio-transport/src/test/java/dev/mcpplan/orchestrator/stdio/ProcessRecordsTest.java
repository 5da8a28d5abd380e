package dev.mcpplan.orchestrator.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state file of a dead host: what it names is ended only while pid AND start time still match,
 * and the files of hosts that still run are left alone. Against real {@code sleep} processes.
 */
class ProcessRecordsTest {
    @TempDir
    Path directory;

    private Process sleeper;

    @AfterEach
    void endSleeper() {
        if (sleeper != null) {
            sleeper.destroyForcibly();
        }
    }

    private ProcessHandle sleeper() throws IOException {
        sleeper = new ProcessBuilder("sleep", "300").start();
        return sleeper.toHandle();
    }

    private static String started(ProcessHandle p) {
        return p.info().startInstant().orElseThrow().toString();
    }

    /** A record file as a host with this pid and start time leaves it. */
    private Path record(long hostPid, long hostStartMillis, String lines) throws IOException {
        return Files.writeString(directory.resolve("stdio-" + hostPid + "-" + hostStartMillis + ".servers"), lines);
    }

    /** A pid that no process has now. */
    private static long deadPid() {
        long pid = 4_000_000;
        while (ProcessHandle.of(pid).isPresent()) {
            pid++;
        }
        return pid;
    }

    @Test
    void aProcessADeadHostRecordedIsEndedWhenPidAndStartTimeMatch() throws Exception {
        ProcessHandle left = sleeper();
        Path file = record(deadPid(), 1, left.pid() + " " + started(left) + "\n");

        ProcessRecords.endLeftovers(directory);

        assertThat(ProcessTable.survivors(List.of(left.pid()), 5_000)).isEmpty();
        assertThat(file).doesNotExist();
    }

    @Test
    void aPidWhoseStartTimeDiffersIsAnotherProcessAndIsLeftAlone() throws Exception {
        ProcessHandle other = sleeper();
        Instant earlier = other.info().startInstant().orElseThrow().minusSeconds(3_600);
        record(deadPid(), 1, other.pid() + " " + earlier + "\n");

        ProcessRecords.endLeftovers(directory);

        assertThat(ProcessTable.running(other.pid())).isTrue();
    }

    @Test
    void theRecordsOfAHostThatStillRunsAreLeftAlone() throws Exception {
        ProcessHandle server = sleeper();
        ProcessHandle host = ProcessHandle.current();
        Path file = record(
                host.pid(),
                host.info().startInstant().orElseThrow().toEpochMilli(),
                server.pid() + " " + started(server) + "\n");

        ProcessRecords.endLeftovers(directory);

        assertThat(ProcessTable.running(server.pid())).isTrue();
        assertThat(file).exists();
    }
}
