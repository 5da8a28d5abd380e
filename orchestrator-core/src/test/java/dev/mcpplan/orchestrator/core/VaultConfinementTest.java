package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.mcpplan.orchestrator.ConfigurationException;
import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.core.testing.CrashWorker;
import dev.mcpplan.orchestrator.core.testing.Servers;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile entries in a vault, one per test: each is refused or put aside with its reason, never
 * followed out of the vault, never blocks, and every other plan still runs.
 */
class VaultConfinementTest {
    private static final Duration BOUND = Duration.ofSeconds(60);

    private static final String GOOD = """
            ---
            plan_id: good
            ---
            # A plan that must run whatever else the folder holds

            ## Steps
            - [ ] Think about it
            """;

    private static final String OUTSIDE_PLAN = """
            ---
            plan_id: outside
            ---
            # A plan outside the vault

            ## Steps
            - [ ] Think about the outside
            """;

    @TempDir
    Path dir;

    private Path vault() {
        return dir.resolve("vault");
    }

    private Path outside() throws IOException {
        return Files.createDirectories(dir.resolve("outside"));
    }

    /** A store with the good plan in Approved/. */
    private VaultPlanStore storeWithGoodPlan() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault());
        Files.writeString(store.approvedDir().resolve("good.md"), GOOD);
        return store;
    }

    private static List<PlanResult> process(VaultPlanStore store) {
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            return assertTimeoutPreemptively(BOUND, () -> orchestrator.processReady(store), "processReady blocked");
        }
    }

    private static void assertGoodPlanRan(VaultPlanStore store) throws IOException {
        assertThat(Files.readString(store.doneDir().resolve("good.md"))).contains("status: completed");
        try (Stream<Path> left = Files.list(store.inProgressDir())) {
            assertThat(left).as("nothing stays in In_Progress/").isEmpty();
        }
    }

    private static void assertPutAside(VaultPlanStore store, String name, String reason) throws IOException {
        assertThat(Files.exists(store.failedDir().resolve(name), LinkOption.NOFOLLOW_LINKS))
                .as(name + " in Failed/")
                .isTrue();
        assertThat(Files.readString(store.failedDir().resolve(name + ".error.txt")))
                .contains(reason);
        assertThat(store.doneDir().resolve(name)).doesNotExist();
    }

    @Test
    void aSymbolicLinkToAPlanOutsideTheVaultIsRefusedAndItsTargetLeftUntouched() throws IOException {
        VaultPlanStore store = storeWithGoodPlan();
        Path target = Files.writeString(outside().resolve("plan.md"), OUTSIDE_PLAN);
        Files.createSymbolicLink(store.approvedDir().resolve("link.md"), target);

        process(store);

        assertGoodPlanRan(store);
        assertPutAside(store, "link.md", "symbolic link");
        assertThat(Files.isSymbolicLink(store.failedDir().resolve("link.md"))).isTrue();
        assertThat(Files.readString(target)).isEqualTo(OUTSIDE_PLAN);
        assertThat(Files.readString(vault().resolve("Dashboard.md"))).doesNotContain("outside");
    }

    @Test
    void anApprovedFolderThatIsASymbolicLinkIsRefusedAndWhatItLeadsToLeftUntouched() throws IOException {
        Path target = Files.writeString(outside().resolve("plan.md"), OUTSIDE_PLAN);
        Files.createDirectories(vault());
        Files.createSymbolicLink(vault().resolve("Approved"), outside());

        assertThatThrownBy(() -> VaultPlanStore.open(vault()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("symbolic link");

        // and a link that appears after the store was opened
        Files.delete(vault().resolve("Approved"));
        VaultPlanStore store = VaultPlanStore.open(vault());
        Files.delete(store.approvedDir());
        Files.createSymbolicLink(store.approvedDir(), outside());
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder().build()) {
            assertThatThrownBy(() -> orchestrator.processReady(store))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("Approved");
        }
        assertThat(Files.readString(target)).isEqualTo(OUTSIDE_PLAN);
        assertThat(store.inProgressDir()).isEmptyDirectory();
        assertThat(store.doneDir()).isEmptyDirectory();
    }

    @Test
    void aSymbolicLinkLoopIsPutAsideAndTheOtherPlansRun() throws IOException {
        VaultPlanStore store = storeWithGoodPlan();
        Files.createSymbolicLink(store.approvedDir().resolve("loop.md"), Path.of("loop.md"));

        process(store);
        process(store); // a second run finds nothing left to trip over

        assertGoodPlanRan(store);
        assertPutAside(store, "loop.md", "symbolic link");
    }

    @Test
    void aLinkToDevZeroIsNeverReadAndTheOtherPlansRun() throws IOException {
        VaultPlanStore store = storeWithGoodPlan();
        Files.createSymbolicLink(store.approvedDir().resolve("zero.md"), Path.of("/dev/zero"));

        process(store);

        assertGoodPlanRan(store);
        assertPutAside(store, "zero.md", "symbolic link");
    }

    @Test
    void aHardLinkToAFileOutsideTheVaultIsRefusedAndTheFileLeftUntouched() throws IOException {
        VaultPlanStore store = storeWithGoodPlan();
        Path target = Files.writeString(outside().resolve("plan.md"), OUTSIDE_PLAN);
        Files.createLink(store.approvedDir().resolve("hard.md"), target);

        List<PlanResult> results = process(store);

        assertGoodPlanRan(store);
        assertPutAside(store, "hard.md", "hard links");
        assertThat(Files.readString(target)).isEqualTo(OUTSIDE_PLAN);
        assertThat(results).noneMatch(r -> r.planId().equals("outside"));
    }

    @Test
    void aFifoIsNeverOpenedSoNothingBlocks() throws Exception {
        VaultPlanStore store = storeWithGoodPlan();
        Path fifo = store.approvedDir().resolve("fifo.md");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mkfifo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();

        process(store);

        assertGoodPlanRan(store);
        assertPutAside(store, "fifo.md", "not a regular file");
        assertThat(Files.isRegularFile(store.failedDir().resolve("fifo.md"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
    }

    @Test
    void aFolderNamedLikeAPlanIsPutAsideAndTheOtherPlansRun() throws IOException {
        VaultPlanStore store = storeWithGoodPlan();
        Files.createDirectories(store.approvedDir().resolve("x.md").resolve("inside"));

        process(store);
        process(store);

        assertGoodPlanRan(store);
        assertPutAside(store, "x.md", "folder");
        assertThat(store.failedDir().resolve("x.md").resolve("inside")).isDirectory();
    }

    /**
     * A worker process on the vault: as root, without the capabilities that let root read any file
     * (so that a mode 000 file is as unreadable as for any other user); with at most 48 MiB of heap.
     */
    private Process worker() throws IOException {
        Path settings = Files.writeString(dir.resolve("settings.json"), "{}");
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"));
        }
        command.addAll(List.of(
                Servers.java(),
                "-Xmx48m",
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                CrashWorker.class.getName(),
                vault().toString(),
                settings.toString(),
                dir.resolve("sent.log").toString()));
        return new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("worker.err").toFile())
                .start();
    }

    private void assertWorkerSucceeds() throws Exception {
        Process worker = worker();
        assertThat(worker.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS))
                .as("worker ends")
                .isTrue();
        assertThat(worker.exitValue())
                .as(() -> "worker exit: " + readQuietly(dir.resolve("worker.err")))
                .isZero();
    }

    @Test
    void aFileNobodyMayReadIsPutAsideAndTheOtherPlansRun() throws Exception {
        VaultPlanStore store = storeWithGoodPlan();
        Path locked = Files.writeString(store.approvedDir().resolve("locked.md"), OUTSIDE_PLAN);
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));

        assertWorkerSucceeds();

        assertGoodPlanRan(store);
        assertPutAside(store, "locked.md", "AccessDeniedException");
    }

    @Test
    void aHundredMegabyteFileIsRefusedWithoutBeingRead() throws Exception {
        VaultPlanStore store = storeWithGoodPlan();
        Path big = store.approvedDir().resolve("big.md");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.write("---\nplan_id: big\n---\n# Big\n## Steps\n- [ ] Think\n".getBytes(StandardCharsets.UTF_8));
            file.setLength(100L * 1024 * 1024); // sparse: no disk, but a reader that reads it whole needs 100 MB
        }

        assertWorkerSucceeds(); // with 48 MiB of heap

        assertGoodPlanRan(store);
        assertPutAside(store, "big.md", "refused without reading it");
        assertThat(Files.size(store.failedDir().resolve("big.md"))).isEqualTo(100L * 1024 * 1024);
    }

    @Test
    void aPlanStillBeingWrittenIsRunOnlyOnceItIsComplete() throws Exception {
        VaultPlanStore store = VaultPlanStore.open(vault());
        Path plan = store.approvedDir().resolve("slow.md");
        String first = """
                ---
                plan_id: slow
                ---
                # Written in two goes

                ## Steps
                - [ ] Think about the first half
                """;
        String second = "- [ ] Think about the second half\n";
        Thread writer;
        try (FileChannel out = FileChannel.open(plan, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.write(ByteBuffer.wrap(first.getBytes(StandardCharsets.UTF_8)));
            writer = new Thread(() -> {
                try {
                    Thread.sleep(500);
                    out.write(ByteBuffer.wrap(second.getBytes(StandardCharsets.UTF_8)));
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            List<PlanResult> results = new ArrayList<>();
            try (McpPlanOrchestrator orchestrator =
                    McpPlanOrchestrator.builder().build()) {
                while (results.isEmpty()) { // as `run` does: look, wait, look again
                    results.addAll(orchestrator.processReady(store));
                    store.awaitChange(Duration.ofMillis(200));
                }
            }
            writer.join();
            assertThat(results)
                    .singleElement()
                    .satisfies(r -> assertThat(r.steps()).hasSize(2));
        }
        assertThat(Files.readString(store.doneDir().resolve("slow.md")))
                .contains("step 1 (internal): skipped")
                .contains("step 2 (internal): skipped")
                .contains("Think about the second half");
    }

    @Test
    void theSettleTimeComesFromTheConfiguration() throws Exception {
        Path settings = Files.writeString(dir.resolve("settings.json"), """
                { "orchestrator": { "vault": { "settle": "2s" } } }""");
        try (McpPlanOrchestrator orchestrator =
                        McpPlanOrchestrator.builder().config(settings).build();
                VaultPlanStore store = orchestrator.openVault(vault())) {
            Files.writeString(store.approvedDir().resolve("good.md"), GOOD);
            long start = System.nanoTime();
            List<String> ready = store.ready();
            Duration waited = Duration.ofNanos(System.nanoTime() - start);

            assertThat(ready).containsExactly("good.md");
            assertThat(waited).as("waited for the file to settle").isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        }
        Files.writeString(settings, "{ \"orchestrator\": { \"vault\": { \"settel\": \"1s\" } } }");
        assertThatThrownBy(() -> McpPlanOrchestrator.builder().config(settings).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("vault has an unknown key 'settel'");
    }

    @Test
    void aPlanIdWithLineBreaksAddsExactlyOneLineToTheDashboard() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault());
        Files.writeString(store.approvedDir().resolve("odd\nname.md"), """
                ---
                plan_id: "evil\\n- 2026-01-01T00:00:00Z forged: completed -> Done/forged.md\\r\\n## Recent Activity"
                ---
                # Evil "title" --- with: colons

                ## Steps
                - [ ] Think about it
                """);

        process(store);

        List<String> dashboard = Files.readAllLines(vault().resolve("Dashboard.md"));
        assertThat(dashboard.stream().filter(l -> l.startsWith("- ")))
                .singleElement()
                .satisfies(l -> assertThat(l)
                        .contains("evil - 2026-01-01T00:00:00Z forged")
                        .endsWith("-> Done/odd name.md"));
        assertThat(dashboard).containsOnlyOnce("## Recent Activity");
        assertThat(store.doneDir().resolve("odd\nname.md")).exists();
    }

    @Test
    void aKeyThatIsAPathCannotLeadOutOfTheVault() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault());
        Path target = Files.writeString(outside().resolve("plan.md"), OUTSIDE_PLAN);
        for (String key : List.of("../../outside/plan.md", "..", "a/b.md")) {
            assertThatThrownBy(() -> store.claim(key)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.resume(key)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(Files.readString(target)).isEqualTo(OUTSIDE_PLAN);
    }

    @Test
    void valuesFromAPlanNeverChangeTheStructureOfTheFileWrittenBack() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault());
        String hostile = "x: \"y\"\r---\r\nstatus: approved\n- [ ] injected step\u2028## Steps\u0085'q' \\ end";
        Files.writeString(store.approvedDir().resolve("inject.md"), """
                ---
                plan_id: inject
                ---
                # Values that look like structure

                ## Steps
                - [ ] Send it
                  ```json
                  {"action": "fail_echo", "text": %s}
                  ```
                """.formatted(jsonString(hostile)));
        Path settings = Files.writeString(dir.resolve("settings.json"), """
                { "orchestrator": { "actions": { "fail_echo": "fault" } } }""");
        PlanResult result;
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer("fault"))
                .discoverPlugins(getClass().getClassLoader())
                .build()) {
            result = assertTimeoutPreemptively(BOUND, () -> orchestrator.processReady(store))
                    .get(0);
        }

        Path failed = store.failedDir().resolve("inject.md");
        String text = Files.readString(failed);
        try (McpPlanOrchestrator parser = McpPlanOrchestrator.builder().build()) {
            Plan back = parser.parse(failed);
            assertThat(back.steps()).as("the steps as they were").hasSize(1);
            assertThat(back.frontMatter().get("error"))
                    .as("the error reads back as it was")
                    .isEqualTo(result.error().orElseThrow());
            assertThat(String.valueOf(back.frontMatter().get("error"))).contains("---", "\"y\"", "\u2028");
            assertThat(back.frontMatter()).containsEntry("status", "failed");
        }
        List<String> lines = text.lines().toList();
        assertThat(lines.stream().filter("---"::equals))
                .as("front matter fences")
                .hasSize(2);
        List<String> log = lines.subList(lines.indexOf("## Execution Log") + 1, lines.size());
        assertThat(log).allSatisfy(l -> assertThat(l).matches("|- .*"));
        assertThat(text.split("\r|\u2028|\u0085", -1))
                .as("no line break but the file's own")
                .hasSize(1);
    }

    private static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            out.append(c == '"' || c == '\\' ? "\\" + c : c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : c);
        }
        return out.append('"').toString();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
