package dev.mcpplan.orchestrator.core.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpplan.orchestrator.ErrorKind;
import dev.mcpplan.orchestrator.core.internal.audit.Redactor;
import dev.mcpplan.orchestrator.spi.CallFailure;
import dev.mcpplan.orchestrator.spi.Classification;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DefaultErrorClassifierTest {
    private final ErrorClassifiers chain = new ErrorClassifiers(List.of(), Redactor.defaults());

    private Classification errorResult(String text) {
        return chain.classify(
                new CallFailure("fs", "write_file", Optional.empty(), Optional.empty(), text, Optional.empty()));
    }

    @Test
    void aRefusedPathIsAToolErrorThatDoesNotPointAtCredentials() {
        Classification c = errorResult(
                "Error: Access denied - path outside allowed directories: /etc/escape.md not in /tmp/vault");
        assertThat(c.kind()).isEqualTo(ErrorKind.TOOL_ERROR);
        assertThat(c.message())
                .startsWith("the server refused the path or resource the step names (not a credentials problem")
                .endsWith("Access denied - path outside allowed directories: /etc/escape.md not in /tmp/vault");
        assertThat(errorResult("EACCES: permission denied, open '/root/x'").kind())
                .isEqualTo(ErrorKind.TOOL_ERROR);
    }

    @Test
    void aRefusedPathAsAJsonRpcErrorIsAToolErrorToo() {
        McpError error = McpError.builder(McpSchema.ErrorCodes.INTERNAL_ERROR)
                .message("Access denied - path outside allowed directories")
                .build();
        assertThat(chain.classify(ErrorClassifiers.failure("fs", "write_file", error))
                        .kind())
                .isEqualTo(ErrorKind.TOOL_ERROR);
    }

    @Test
    void credentialsStayAuthentication() {
        assertThat(errorResult("401 Unauthorized: invalid credentials").kind()).isEqualTo(ErrorKind.AUTHENTICATION);
        assertThat(errorResult("403 Forbidden").kind()).isEqualTo(ErrorKind.AUTHENTICATION);
        assertThat(errorResult("invalid API key").kind()).isEqualTo(ErrorKind.AUTHENTICATION);
    }
}
