package dev.mcpplan.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanResult;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import dev.mcpplan.orchestrator.core.testing.Servers;
import dev.mcpplan.orchestrator.spi.ExecutionListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a running plan's file follows its journal: a slow step is in the file before the next step
 * starts, a long plan of quick steps is not rewritten whole at every step yet ends with every step in
 * it, and the approval check before a step reads the file again only when someone else wrote it.
 */
class VaultPlanFileTest {
    @TempDir
    Path vault;

    private static String plan(String id, String steps) {
        return """
                ---
                plan_id: %s
                approved_by: user@company.com
                ---
                # Read things

                ## Steps
                %s""".formatted(id, steps);
    }

    private List<PlanResult> process(VaultPlanStore store, ExecutionListener listener) throws IOException {
        Path settings = Files.writeString(
                vault.resolve("settings.json"),
                "{ \"orchestrator\": { \"actions\": { \"slow_read\": \"fault\", \"echo\": \"fault\" } } }");
        try (McpPlanOrchestrator orchestrator = McpPlanOrchestrator.builder()
                .config(settings)
                .server(Servers.faultServer("fault"))
                .discoverPlugins(getClass().getClassLoader())
                .listener(listener)
                .build()) {
            return orchestrator.processReady(store);
        }
    }

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStepSlowerThanTheFilesLagIsInThePlanFileBeforeTheNextStepStarts() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault, Clock.systemUTC(), Duration.ZERO);
        Files.writeString(store.approvedDir().resolve("slow.md"), plan("slow", """
                - [ ] Read slowly
                  - action: slow_read
                  - ms: 700
                - [ ] Echo
                  - action: echo
                  - text: done
                """));
        Map<Integer, String> seen = new ConcurrentHashMap<>();

        List<PlanResult> results = process(store, new ExecutionListener() {
            @Override
            public void stepStarted(Plan plan, Step step, int attempt) {
                try {
                    seen.put(step.number(), Files.readString(plan.source().orElseThrow()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });

        assertThat(results).extracting(PlanResult::status).containsExactly(PlanStatus.COMPLETED);
        assertThat(seen.get(2))
                .as("the plan file as step 2 starts")
                .contains("- [x] Read slowly")
                .contains("step 1 slow_read -> fault/slow_read: succeeded")
                .contains("- [ ] Echo");
    }

    @Test
    void aLongPlanOfQuickStepsIsNotRewrittenAtEveryStepAndEndsWithEveryStepInItsFile() throws IOException {
        int steps = 300;
        VaultPlanStore store = VaultPlanStore.open(vault, Clock.systemUTC(), Duration.ZERO);
        Files.writeString(
                store.approvedDir().resolve("long.md"),
                plan(
                        "long",
                        IntStream.rangeClosed(1, steps)
                                .mapToObj(n -> "- [ ] Echo " + n + "\n  - action: echo\n  - text: n" + n + "\n")
                                .collect(Collectors.joining())));
        Set<Object> versions = ConcurrentHashMap.newKeySet();

        List<PlanResult> results = process(store, new ExecutionListener() {
            @Override
            public void stepStarted(Plan plan, Step step, int attempt) {
                versions.add(fileKey(plan.source().orElseThrow()));
            }
        });

        assertThat(results).extracting(PlanResult::status).containsExactly(PlanStatus.COMPLETED);
        // a write every 500 ms at most while the steps go on: far fewer than one a step, also on a busy machine
        assertThat(versions.size())
                .as("plan file versions seen by %d steps", steps)
                .isLessThan(steps / 2);
        List<String> lines = Files.readAllLines(store.doneDir().resolve("long.md"));
        for (int n = 1; n <= steps; n++) {
            String checked = "- [x] Echo " + n;
            String logged = " step " + n + " echo -> fault/echo: succeeded";
            assertThat(lines.stream().filter(checked::equals)).as(checked).hasSize(1);
            assertThat(lines.stream().filter(l -> l.contains(logged)))
                    .as(logged)
                    .hasSize(1);
        }
    }

    @Test
    void theApprovalCheckReadsThePlanAgainOnlyWhenSomeoneElseWroteIt() throws IOException {
        VaultPlanStore store = VaultPlanStore.open(vault, Clock.systemUTC(), Duration.ZERO);
        Files.writeString(store.approvedDir().resolve("plan.md"), plan("edited", """
                - [ ] Echo
                  - action: echo
                  - text: one
                """));
        Plan claimed = store.claim("plan.md").orElseThrow();
        Path file = claimed.source().orElseThrow();

        assertThat(store.current(claimed)).containsSame(claimed);

        Files.writeString(file, "- [ ] Echo again\n  - action: echo\n  - text: two\n", StandardOpenOption.APPEND);
        Optional<Plan> edited = store.current(claimed);

        assertThat(edited).isPresent();
        assertThat(edited.get()).isNotSameAs(claimed);
        assertThat(edited.get().steps()).hasSize(2);
        Set<String> texts = new HashSet<>();
        edited.get().steps().forEach(s -> texts.add(s.text()));
        assertThat(texts).contains("Echo again");
    }
}
