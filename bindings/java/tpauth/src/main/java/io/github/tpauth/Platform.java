package io.github.tpauth;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Locale;

/**
 * The platform this JVM runs on, named as the jar names its native folders:
 * {@code io/github/tpauth/native/<os>-<arch>/}, with {@code <os>} one of {@code linux},
 * {@code linux-musl}, {@code darwin}, {@code windows} and {@code <arch>} one of {@code x86_64},
 * {@code aarch64} (scripts/dist/java.sh writes the same names).
 */
final class Platform {
    final String os;
    final String arch;

    Platform(String os, String arch) {
        this.os = os;
        this.arch = arch;
    }

    /** {@code <os>-<arch>}, e.g. {@code linux-musl-aarch64}. */
    String id() {
        return os + "-" + arch;
    }

    /** The library's file name there. */
    String libraryFile() {
        if (os.equals("windows")) {
            return "tpauth.dll";
        }
        if (os.equals("darwin")) {
            return "libtpauth.dylib";
        }
        return "libtpauth.so";
    }

    @Override
    public String toString() {
        return id();
    }

    static Platform current() {
        String osName = System.getProperty("os.name", "");
        return of(osName, System.getProperty("os.arch", ""), osName.startsWith("Linux") && isMusl());
    }

    /** The platform for these {@code os.name} and {@code os.arch} values (musl: the C library is musl). */
    static Platform of(String osName, String osArch, boolean musl) {
        String os;
        if (osName.startsWith("Linux")) {
            os = musl ? "linux-musl" : "linux";
        } else if (osName.startsWith("Mac") || osName.startsWith("Darwin")) {
            os = "darwin";
        } else if (osName.startsWith("Windows")) {
            os = "windows";
        } else {
            os = osName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        }
        String a = osArch.toLowerCase(Locale.ROOT);
        String arch;
        switch (a) {
            case "amd64":
            case "x86_64":
            case "x86-64":
            case "x64":
                arch = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                arch = "aarch64";
                break;
            default:
                arch = a.replaceAll("[^a-z0-9_]", "");
        }
        return new Platform(os, arch);
    }

    /**
     * Whether this Linux process runs on musl (Alpine and others), detected as sqlite-jdbc does: a
     * mapped file of the process whose path names musl (its loader, /lib/ld-musl-*.so.1), through
     * /proc/self/map_files; then /proc/self/maps (readable where map_files' links are not); then
     * /etc/os-release naming Alpine.
     */
    static boolean isMusl() {
        File[] maps = new File("/proc/self/map_files").listFiles();
        if (maps != null) {
            for (File f : maps) {
                try {
                    if (f.toPath().toRealPath().toString().toLowerCase(Locale.ROOT).contains("musl")) {
                        return true;
                    }
                } catch (IOException | SecurityException e) {
                    // a link this process may not read: try the next, then /proc/self/maps
                }
            }
        }
        if (fileMentions("/proc/self/maps", "musl", false)) {
            return true;
        }
        return fileMentions("/etc/os-release", "alpine", true);
    }

    private static boolean fileMentions(String path, String word, boolean idLinesOnly) {
        File f = new File(path);
        if (!f.canRead()) {
            return false;
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(f.toPath()), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if ((!idLinesOnly || line.startsWith("ID")) && line.toLowerCase(Locale.ROOT).contains(word)) {
                    return true;
                }
            }
        } catch (IOException | SecurityException e) {
            return false;
        }
        return false;
    }
}
