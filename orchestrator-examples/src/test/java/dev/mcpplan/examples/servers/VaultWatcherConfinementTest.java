package dev.mcpplan.examples.servers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vault-watcher's confinement on a real file system with real symbolic links. */
class VaultWatcherConfinementTest {
    @TempDir
    Path dir;

    private Path vault;
    private Path outside;

    @BeforeEach
    void setUp() throws IOException {
        vault = Files.createDirectories(dir.resolve("vault")).toRealPath();
        outside = Files.createDirectories(dir.resolve("outside")).toRealPath();
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createDirectories(vault.resolve("notes"));
        Files.writeString(vault.resolve("notes/a.md"), "a");
        Files.createSymbolicLink(vault.resolve("escape"), outside);
        Files.createSymbolicLink(vault.resolve("secret-link.md"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(vault.resolve("dangling.md"), outside.resolve("created-through-link.md"));
        Files.createSymbolicLink(vault.resolve("shortcut"), vault.resolve("notes"));
    }

    @Test
    void pathsInsideTheVaultAreAllowedIncludingNewFilesAndLinksThatStayInside() throws IOException {
        assertThat(VaultWatcherServer.confine(vault, "notes/a.md")).isEqualTo(vault.resolve("notes/a.md"));
        assertThat(VaultWatcherServer.confine(vault, "notes/new/deeper.md"))
                .isEqualTo(vault.resolve("notes/new/deeper.md"));
        assertThat(VaultWatcherServer.confine(vault, "notes/./a.md")).isEqualTo(vault.resolve("notes/a.md"));
        assertThat(VaultWatcherServer.confine(vault, "shortcut/a.md")).isEqualTo(vault.resolve("shortcut/a.md"));
    }

    @Test
    void dotDotAbsolutePathsAndLinksThatLeaveTheVaultAreRefused() throws IOException {
        for (String path : new String[] {
            "../outside/secret.txt",
            "notes/../../outside/secret.txt",
            "..",
            "/etc/passwd",
            outside.resolve("secret.txt").toString(),
            "escape/secret.txt",
            "escape/new.md",
            "secret-link.md",
            "dangling.md"
        }) {
            assertThat(VaultWatcherServer.confine(vault, path)).as(path).isNull();
        }
    }
}
