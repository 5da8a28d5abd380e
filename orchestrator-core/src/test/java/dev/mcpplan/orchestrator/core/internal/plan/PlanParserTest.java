package dev.mcpplan.orchestrator.core.internal.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpplan.orchestrator.Plan;
import dev.mcpplan.orchestrator.PlanFormatException;
import dev.mcpplan.orchestrator.PlanStatus;
import dev.mcpplan.orchestrator.Step;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlanParserTest {
    private static Plan parse(String text) {
        return PlanParser.parse("plan.md", text.getBytes(StandardCharsets.UTF_8), null);
    }

    private static void fails(String text, String message) {
        assertThatThrownBy(() -> parse(text))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage(message);
    }

    @Test
    void readsTheDesignDocumentsPlan() {
        Plan plan = parse("""
                ---
                type: plan
                plan_id: 20260216-141530-Plan
                task_id: gmail-19b6fdde257c24a2
                status: approved
                risk_level: medium
                approved_by: user@company.com
                approved_at: 2026-02-16T14:20:30Z
                expires_at: 2026-02-17T14:20:30Z
                approved_actions: [send_email, write_vault]
                ---
                # Reply to the client about the Q4 proposal

                ## Steps
                - [ ] Send email to client@example.com
                  - subject: Q4 Proposal
                  - body: Please find the proposal attached.
                - [x] Save to vault Clients/acme.md
                  - action: write_vault
                  - path: Clients/acme.md
                  - content: Sent the Q4 proposal.
                - [ ] Draft a follow-up reminder for next week
                """);
        assertThat(plan.id()).isEqualTo("20260216-141530-Plan");
        assertThat(plan.taskId()).contains("gmail-19b6fdde257c24a2");
        assertThat(plan.title()).isEqualTo("Reply to the client about the Q4 proposal");
        assertThat(plan.status()).contains(PlanStatus.APPROVED);
        assertThat(plan.approval().approvedBy()).contains("user@company.com");
        assertThat(plan.approval().expiresAt()).contains(Instant.parse("2026-02-17T14:20:30Z"));
        assertThat(plan.approval().approvedActions()).contains(Set.of("send_email", "write_vault"));
        assertThat(plan.approval().riskLevel()).contains("medium");
        assertThat(plan.steps()).hasSize(3);
        Step first = plan.steps().get(0);
        assertThat(first.text()).isEqualTo("Send email to client@example.com");
        assertThat(first.parameters())
                .isEqualTo(Map.of("subject", "Q4 Proposal", "body", "Please find the proposal attached."));
        assertThat(first.line()).isEqualTo(15);
        Step second = plan.steps().get(1);
        assertThat(second.checked()).isTrue();
        assertThat(second.action()).contains("write_vault");
        assertThat(second.parameters()).containsOnlyKeys("path", "content");
    }

    @Test
    void readsBoldHeadersNumberedItemsStepPrefixesFencedBlocksAndDependencies() {
        Plan plan = parse("""
                # Launch\r
                **Status:** Approved\r
                **Risk Level:** Low\r
                \r
                ### Execution Steps (Sequential)\r
                1. [ ] Step 1: Post to LinkedIn (REQUIRES APPROVAL)\r
                   - id: post\r
                2) **Step 2:** Write to vault the notes\r
                   ```yaml\r
                   path: Notes/launch.md\r
                   content: |\r
                     line one\r
                     line two\r
                   ```\r
                   - depends_on: post, 1\r
                * Something else\r
                ## Next heading\r
                - not a step\r
                """);
        assertThat(plan.status()).contains(PlanStatus.APPROVED);
        assertThat(plan.approval().riskLevel()).contains("Low");
        assertThat(plan.steps())
                .extracting(Step::text)
                .containsExactly("Post to LinkedIn (REQUIRES APPROVAL)", "Write to vault the notes", "Something else");
        assertThat(plan.steps().get(0).flaggedSensitive()).isTrue();
        assertThat(plan.steps().get(0).id()).contains("post");
        assertThat(plan.steps().get(1).parameters())
                .containsEntry("path", "Notes/launch.md")
                .containsEntry("content", "line one\nline two\n");
        assertThat(plan.steps().get(1).dependsOn()).containsExactly("post", "1");
    }

    @Test
    void readsAnApprovalRequestAsAOneStepPlan() {
        Plan plan = parse("""
                ---
                type: approval_request
                action: send_email
                to: client@example.com
                subject: Invoice
                status: pending
                ---
                # Send the invoice

                ## Email Content
                Dear client,
                please find the invoice attached.
                """);
        assertThat(plan.kind()).isEqualTo(Plan.Kind.APPROVAL_REQUEST);
        assertThat(plan.steps()).singleElement().satisfies(s -> {
            assertThat(s.action()).contains("send_email");
            assertThat(s.parameters())
                    .isEqualTo(Map.of(
                            "to",
                            "client@example.com",
                            "subject",
                            "Invoice",
                            "body",
                            "Dear client,\nplease find the invoice attached."));
        });
    }

    @Test
    void badInputIsAFormatErrorNamingFileLineAndProblem() {
        fails(
                "---\nstatus: [unclosed\n---\n## Steps\n- [ ] x\n",
                "plan.md:2: broken YAML front matter: "
                        + "while parsing a flow sequence\n in reader, line 1, column 9:\n    status: [unclosed\n            ^\n"
                        + "expected ',' or ']', but got <stream end>\n in reader, line 2, column 1:\n    \n    ^\n");
        fails("---\nstatus: approved\n", "plan.md:1: the front matter starting at line 1 has no closing ---");
        fails(
                "# Title\nJust text.\n",
                "plan.md: no steps section: expected a heading such as '## Steps', "
                        + "'## Action Items' or '## Execution Steps'");
        fails("## Steps\n\nNothing here.\n", "plan.md:1: the steps section has no steps");
        fails(
                "## Steps\n- a\n  - depends_on: 7\n",
                "plan.md:2: step 1 depends on '7', which is not a step of this plan");
        fails(
                "## Steps\n- a\n  - depends_on: 2\n- b\n  - depends_on: 1\n",
                "plan.md:2: the steps depend on each other in a cycle: step 1 -> step 2 -> step 1");
        fails("## Steps\n- a\n  - id: x\n- b\n  - id: x\n", "plan.md:4: two steps have the id 'x'");
        fails(
                "---\nexpires_at: tomorrow\n---\n## Steps\n- a\n",
                "plan.md:2: 'expires_at' is not a date-time with a time zone (such as 2026-02-16T14:20:30Z):"
                        + " tomorrow");
        assertThatThrownBy(() ->
                        PlanParser.parse("plan.md", new byte[] {'#', ' ', 'x', '\n', (byte) 0xC3, '(', '\n'}, null))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("plan.md:2: the file is not UTF-8 text");
    }

    @Test
    void aYamlBombFailsFastAsAFormatError() {
        StringBuilder bomb = new StringBuilder(
                "---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'k'; c++) {
            char p = (char) (c - 1);
            bomb.append(c)
                    .append(": &")
                    .append(c)
                    .append(" [")
                    .append(String.join(",", Collections.nCopies(9, "*" + p)))
                    .append("]\n");
        }
        bomb.append("---\n## Steps\n- a\n");
        assertThatThrownBy(() -> parse(bomb.toString()))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("plan.md:2: YAML anchors and aliases are not allowed in a plan");
    }

    @Test
    void theParserHasLimitsOnSizeNestingAndAliasesWhereverYamlAppears() {
        String deep = "[".repeat(PlanParser.MAX_YAML_DEPTH + 8) + "]".repeat(PlanParser.MAX_YAML_DEPTH + 8);
        assertThatThrownBy(() -> parse("---\nx: " + deep + "\n---\n## Steps\n- a\n"))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageStartingWith("plan.md:2: broken YAML front matter")
                .hasMessageContaining("nesting depth");
        assertThatThrownBy(() -> parse("## Steps\n- a\n  ```yaml\n  x: " + deep + "\n  ```\n"))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageStartingWith("plan.md:4: broken yaml block")
                .hasMessageContaining("nesting depth");
        assertThatThrownBy(() -> parse("## Steps\n- a\n  ```yaml\n  base: &b {k: v}\n  copy: *b\n  ```\n"))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("plan.md:4: YAML anchors and aliases are not allowed in a plan");
        String bigBlock = "## Steps\n- a\n  ```yaml\n"
                + ("  k: " + "v".repeat(1000) + "\n").repeat(PlanParser.MAX_FRONT_MATTER / 1000 + 10) + "  ```\n";
        assertThatThrownBy(() -> parse(bigBlock))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("the yaml block is larger than 64 KiB");
        String bigFrontMatter =
                "---\n" + ("k: " + "v".repeat(1000) + "\n").repeat(PlanParser.MAX_FRONT_MATTER / 1000 + 10)
                        + "---\n## Steps\n- a\n";
        assertThatThrownBy(() -> parse(bigFrontMatter))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("the YAML front matter is larger than 64 KiB");
        byte[] huge = ("## Steps\n" + "- a step\n".repeat(PlanParser.MAX_PLAN_BYTES / 9 + 1))
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PlanParser.parse("huge.md", huge, null))
                .isInstanceOf(PlanFormatException.class)
                .hasMessage("huge.md: the file has " + huge.length + " bytes; a plan may have at most 1024 KiB");
    }

    @Test
    void writeBackChangesOnlyTheLinesItMeansTo() {
        String text = "---\r\nplan_id: p\r\n# keep me\r\nstatus: approved\r\n---\r\n## Steps\r\n- [ ] a\r\n- [ ] b";
        PlanDocument doc = PlanDocument.of(text.getBytes(StandardCharsets.UTF_8))
                .withStepChecked(7)
                .withField("status", "completed")
                .withField("error", "a: \"quoted\"");
        String out = new String(doc.bytes(), StandardCharsets.UTF_8);
        assertThat(out)
                .isEqualTo("---\r\nplan_id: p\r\n# keep me\r\nstatus: completed\r\nerror: \"a: \\\"quoted\\\"\"\r\n"
                        + "---\r\n## Steps\r\n- [x] a\r\n- [ ] b");
        List<String> lf = List.of(new String(
                        PlanDocument.of("---\na: 1\n---\n# t\n".getBytes(StandardCharsets.UTF_8))
                                .withField("a", "2")
                                .bytes(),
                        StandardCharsets.UTF_8)
                .split("\n", -1));
        // "2" is text: bare, YAML would read it back as a number
        assertThat(lf).containsExactly("---", "a: \"2\"", "---", "# t", "");
    }

    @Test
    void anAmpersandInAQuotedValueIsTextButAnAnchorIsRefused() {
        assertThat(parse("---\nerror: \"---&a\"\ntask_id: 'Q - &co'\n---\n## Steps\n- [ ] a\n")
                        .taskId())
                .contains("Q - &co");
        assertThatThrownBy(() -> parse("---\nerror: &a x\n---\n## Steps\n- [ ] a\n"))
                .isInstanceOf(PlanFormatException.class)
                .hasMessageContaining("anchors");
    }
}
