package io.github.tpauth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the library comes from: the platform names, the jar's copy extracted once, the override, the errors. */
class NativeLoaderTest {
    @Test
    void platformsAreNamedAsTheJarsFolders() {
        assertEquals("linux-x86_64", Platform.of("Linux", "amd64", false).id());
        assertEquals("linux-aarch64", Platform.of("Linux", "aarch64", false).id());
        assertEquals("linux-musl-x86_64", Platform.of("Linux", "amd64", true).id());
        assertEquals("linux-musl-aarch64", Platform.of("Linux", "aarch64", true).id());
        assertEquals("windows-x86_64", Platform.of("Windows Server 2022", "amd64", false).id());
        assertEquals("darwin-aarch64", Platform.of("Mac OS X", "aarch64", false).id());
        assertEquals("darwin-x86_64", Platform.of("Mac OS X", "x86_64", false).id());
        assertEquals("libtpauth.so", Platform.of("Linux", "amd64", true).libraryFile());
        assertEquals("tpauth.dll", Platform.of("Windows 11", "amd64", false).libraryFile());
        assertEquals("libtpauth.dylib", Platform.of("Mac OS X", "aarch64", false).libraryFile());
        assertEquals("freebsd-riscv64", Platform.of("FreeBSD", "riscv64", false).id());
    }

    @Test
    void thisGlibcMachineIsNotMusl() throws Exception {
        // The suite runs on Debian (glibc): the loader must not take it for musl.
        assertTrue(Files.readAllLines(Paths.get("/etc/os-release")).stream().noneMatch(l -> l.equals("ID=alpine")));
        assertFalse(Platform.isMusl());
        assertEquals("linux-x86_64", Platform.current().id());
    }

    @Test
    void aPlatformTheJarHasNoLibraryForIsAClearErrorNamingIt(@TempDir Path dir) throws Exception {
        Path root = ContentionTest.jarLayout(dir);
        try (URLClassLoader cl = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class,
                    () -> NativeLoader.locate(Platform.of("FreeBSD", "riscv64", false), cl, null, "0.1.0"));
            String m = e.getMessage();
            assertTrue(m.contains("freebsd-riscv64") && m.contains("os.name=") && m.contains("it has linux-x86_64")
                    && m.contains("-Dtpauth.library.path="), m);
        }
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            String m = assertThrows(UnsatisfiedLinkError.class, () -> NativeLoader.locate(Platform.current(), empty, null, "0.1.0")).getMessage();
            assertTrue(m.contains("linux-x86_64") && m.contains("it has none"), m);
        }
    }

    @Test
    void theJarsLibraryIsExtractedOncePerReleaseAndContent(@TempDir Path dir) throws Exception {
        Path root = ContentionTest.jarLayout(dir.resolve("classpath"));
        Path extract = dir.resolve("extract");
        String before = System.getProperty(NativeLoader.EXTRACT_DIR_PROPERTY);
        System.setProperty(NativeLoader.EXTRACT_DIR_PROPERTY, extract.toString());
        try (URLClassLoader cl = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            File first = NativeLoader.locate(Platform.current(), cl, null, "9.9.9");
            assertTrue(first.toString().startsWith(extract.resolve("9.9.9-") + ""), first.toString());
            assertTrue(first.toString().endsWith(File.separator + "linux-x86_64" + File.separator + "libtpauth.so"), first.toString());
            assertArrayEquals(Files.readAllBytes(Paths.get(System.getProperty("tpauth.library.path"))), Files.readAllBytes(first.toPath()));
            long modified = first.lastModified();
            Files.setLastModifiedTime(first.toPath(), java.nio.file.attribute.FileTime.fromMillis(modified - 60_000));
            File again = NativeLoader.locate(Platform.current(), cl, null, "9.9.9");
            assertEquals(first, again);
            assertEquals(modified - 60_000, again.lastModified(), "reused, not written again");
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(extract)));
            File other = NativeLoader.locate(Platform.current(), cl, null, "9.9.10");
            assertNotEquals(first, other, "another release gets its own folder");
            // A damaged copy (another size) is replaced.
            Files.write(first.toPath(), "damaged".getBytes(StandardCharsets.US_ASCII));
            assertArrayEquals(Files.readAllBytes(Paths.get(System.getProperty("tpauth.library.path"))),
                    Files.readAllBytes(NativeLoader.locate(Platform.current(), cl, null, "9.9.9").toPath()));
        } finally {
            if (before == null) {
                System.clearProperty(NativeLoader.EXTRACT_DIR_PROPERTY);
            } else {
                System.setProperty(NativeLoader.EXTRACT_DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void aJarWhoseLibraryDoesNotMatchItsIndexIsRefused(@TempDir Path dir) throws Exception {
        Path root = ContentionTest.jarLayout(dir.resolve("classpath"));
        Platform p = Platform.current();
        Files.write(root.resolve(NativeLoader.RESOURCE_ROOT + p.id() + "/" + p.libraryFile() + ".sha256"),
                (String.join("", java.util.Collections.nCopies(64, "0")) + "  libtpauth.so\n").getBytes(StandardCharsets.US_ASCII));
        String before = System.getProperty(NativeLoader.EXTRACT_DIR_PROPERTY);
        System.setProperty(NativeLoader.EXTRACT_DIR_PROPERTY, dir.resolve("extract").toString());
        try (URLClassLoader cl = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            String m = assertThrows(UnsatisfiedLinkError.class, () -> NativeLoader.locate(p, cl, null, "1.0.0")).getMessage();
            assertTrue(m.contains("damaged jar"), m);
        } finally {
            if (before == null) {
                System.clearProperty(NativeLoader.EXTRACT_DIR_PROPERTY);
            } else {
                System.setProperty(NativeLoader.EXTRACT_DIR_PROPERTY, before);
            }
        }
    }

    @Test
    void theLibraryPathPropertyNamesAFileOrAFolder(@TempDir Path dir) throws Exception {
        Path lib = Paths.get(System.getProperty("tpauth.library.path"));
        assertEquals(lib.toFile(), NativeLoader.locate(Platform.current(), null, lib.toString(), "x"));
        assertEquals(lib.toFile(), NativeLoader.locate(Platform.current(), null, lib.getParent().toString(), "x"));
        String m = assertThrows(UnsatisfiedLinkError.class, () -> NativeLoader.locate(Platform.current(), null, dir.toString(), "x")).getMessage();
        assertTrue(m.contains("tpauth.library.path") && m.contains("has no libtpauth.so"), m);
        assertEquals(lib.toAbsolutePath().toString(), Tpauth.libraryPath(), "this suite loads the library the property names");
    }
}
