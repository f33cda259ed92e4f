package io.github.tpauth;

import com.sun.jna.NativeLibrary;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Finds libtpauth and loads it through JNA:
 * <ol>
 * <li>the system property {@code tpauth.library.path}: the library file itself, or a folder
 *     holding it under its platform's file name ({@code libtpauth.so}, {@code tpauth.dll},
 *     {@code libtpauth.dylib});</li>
 * <li>otherwise the jar's {@code io/github/tpauth/native/<os>-<arch>/} library, extracted once per
 *     release and content into a per-user folder ({@code tpauth.extract.dir}, else the user's cache
 *     folder, else {@code java.io.tmpdir/tpauth-<user>}) and loaded from there.</li>
 * </ol>
 * A platform the jar has no library for is an {@link UnsatisfiedLinkError} naming the platform,
 * the platforms the jar has and the property to set.
 */
final class NativeLoader {
    static final String RESOURCE_ROOT = "io/github/tpauth/native/";
    static final String LIBRARY_PATH_PROPERTY = "tpauth.library.path";
    static final String EXTRACT_DIR_PROPERTY = "tpauth.extract.dir";

    private NativeLoader() {
    }

    /** A loaded library and where it came from. */
    static final class Loaded {
        final NativeLibrary library;
        final String path;

        Loaded(NativeLibrary library, String path) {
            this.library = library;
            this.path = path;
        }
    }

    /** The release this jar belongs to (version.properties, written by the build). */
    static String jarVersion() {
        try (InputStream in = NativeLoader.class.getResourceAsStream("version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    static Loaded load() {
        return load(Platform.current(), NativeLoader.class.getClassLoader(), System.getProperty(LIBRARY_PATH_PROPERTY));
    }

    static Loaded load(Platform platform, ClassLoader classLoader, String override) {
        File file = locate(platform, classLoader, override, jarVersion());
        try {
            return new Loaded(NativeLibrary.getInstance(file.getAbsolutePath()), file.getAbsolutePath());
        } catch (UnsatisfiedLinkError e) {
            throw linkError("tpauth: cannot load " + file + " on " + describe(platform) + ": " + e.getMessage(), e);
        }
    }

    /** The library file to load for {@code platform}: the override, or the jar's copy extracted. */
    static File locate(Platform platform, ClassLoader classLoader, String override, String version) {
        if (override != null && !override.isEmpty()) {
            File f = new File(override);
            if (f.isDirectory()) {
                f = new File(f, platform.libraryFile());
            }
            if (!f.isFile()) {
                throw new UnsatisfiedLinkError("tpauth: -D" + LIBRARY_PATH_PROPERTY + "=" + override + " names no library file"
                        + (new File(override).isDirectory() ? " (the folder has no " + platform.libraryFile() + ")" : ""));
            }
            return f;
        }
        String resource = RESOURCE_ROOT + platform.id() + "/" + platform.libraryFile();
        URL url = classLoader == null ? ClassLoader.getSystemResource(resource) : classLoader.getResource(resource);
        if (url == null) {
            List<String> bundled = bundledPlatforms(classLoader);
            throw new UnsatisfiedLinkError("tpauth: no native library for " + describe(platform) + " in this jar ("
                    + (bundled.isEmpty() ? "it has none: a build without natives" : "it has " + String.join(", ", bundled))
                    + "). Build libtpauth for this platform (cargo build --release in the tpauth repository) and start Java with -D"
                    + LIBRARY_PATH_PROPERTY + "=/path/to/" + platform.libraryFile());
        }
        try {
            return extract(url, classLoader, resource, platform, version);
        } catch (IOException e) {
            throw linkError("tpauth: cannot extract the native library for " + platform.id() + " from the jar: " + e
                    + ". Set -D" + EXTRACT_DIR_PROPERTY + "=<a writable folder>, or -D" + LIBRARY_PATH_PROPERTY
                    + "=<the library file>", e);
        }
    }

    private static String describe(Platform p) {
        return p.id() + " (os.name=" + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch") + ")";
    }

    private static UnsatisfiedLinkError linkError(String message, Throwable cause) {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(message);
        e.initCause(cause);
        return e;
    }

    /** The platforms the jar carries a library for (its index, io/github/tpauth/native/platforms.txt). */
    static List<String> bundledPlatforms(ClassLoader classLoader) {
        List<String> out = new ArrayList<>();
        String index = RESOURCE_ROOT + "platforms.txt";
        try (InputStream in = classLoader == null ? ClassLoader.getSystemResourceAsStream(index) : classLoader.getResourceAsStream(index)) {
            if (in == null) {
                return out;
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.trim().isEmpty() && !line.startsWith("#")) {
                    out.add(line.trim());
                }
            }
        } catch (IOException e) {
            // no index: the message says the jar has none
        }
        return out;
    }

    /**
     * The library extracted into {@code <root>/<version>-<sha256 prefix>/<os>-<arch>/}: reused when
     * already there with the jar's size (the folder names the content, so a library of another
     * build is never reused), else written to a temporary file, checked against the jar's SHA-256
     * and renamed into place (so concurrent JVMs never load a half-written file).
     */
    private static File extract(URL url, ClassLoader classLoader, String resource, Platform platform, String version) throws IOException {
        String expected = sidecarSha256(classLoader, resource);
        if (expected == null) {
            expected = sha256(url);
        }
        long size = contentLength(url);
        File root = extractRoot();
        Path dir = root.toPath().resolve(version + "-" + expected.substring(0, 16)).resolve(platform.id());
        Files.createDirectories(dir);
        Path target = dir.resolve(platform.libraryFile());
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && (size < 0 || Files.size(target) == size)) {
            return target.toFile();
        }
        // A unique name without Files.createTempFile, whose SecureRandom would be seeded (tens of
        // milliseconds at start-up, and a crash under wine) for a name in a folder of our own.
        Path tmp = dir.resolve(".extract-" + Long.toHexString(System.nanoTime()) + "-" + Long.toHexString(Thread.currentThread().getId())
                + "-" + Integer.toHexString(System.identityHashCode(new Object())) + ".tmp");
        Files.createFile(tmp);
        try {
            MessageDigest sha = newSha256();
            try (InputStream in = url.openStream(); OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            String got = hex(sha.digest());
            if (!got.equals(expected)) {
                throw new IOException(resource + " has SHA-256 " + got + ", the jar's index says " + expected + " (a damaged jar)");
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // Windows cannot replace a library another process has loaded: if that one is
                // complete, use it; else load this copy under its own name.
                if (Files.isRegularFile(target) && Files.size(target) == Files.size(tmp)) {
                    Files.deleteIfExists(tmp);
                    return target.toFile();
                }
                Path own = dir.resolve(tmp.getFileName().toString().replace(".tmp", "-" + platform.libraryFile()));
                Files.move(tmp, own);
                own.toFile().deleteOnExit();
                return own.toFile();
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target.toFile();
    }

    /** The folder extracted libraries go to (created owner-only where the file system has POSIX modes). */
    static File extractRoot() throws IOException {
        String prop = System.getProperty(EXTRACT_DIR_PROPERTY);
        if (prop != null && !prop.isEmpty()) {
            return ownerOnlyDir(new File(prop), false);
        }
        IOException first = null;
        File cache = userCacheDir();
        if (cache != null) {
            try {
                return ownerOnlyDir(new File(cache, "tpauth"), false);
            } catch (IOException e) {
                first = e;
            }
        }
        // No usable home (a service account): a per-user folder in the temporary folder, which
        // must be a real folder this user owns (another user could have created it first).
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            return ownerOnlyDir(new File(System.getProperty("java.io.tmpdir"), "tpauth-" + user), true);
        } catch (IOException e) {
            if (first != null) {
                e.addSuppressed(first);
            }
            throw e;
        }
    }

    private static File userCacheDir() {
        String os = System.getProperty("os.name", "");
        String home = System.getProperty("user.home");
        if (os.startsWith("Windows")) {
            String local = System.getenv("LOCALAPPDATA");
            return local != null && !local.isEmpty() ? new File(local) : home == null ? null : new File(home, "AppData\\Local");
        }
        if (os.startsWith("Mac")) {
            return home == null ? null : new File(home, "Library/Caches");
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            return new File(xdg);
        }
        return home == null || home.equals("?") ? null : new File(home, ".cache");
    }

    private static File ownerOnlyDir(File dir, boolean shared) throws IOException {
        Path p = dir.toPath();
        boolean posix = p.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            try {
                if (posix) {
                    Files.createDirectories(p.getParent() == null ? p : p.getParent());
                    Files.createDirectory(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                } else {
                    Files.createDirectories(p);
                }
            } catch (FileAlreadyExistsException e) {
                // created meanwhile by another JVM: checked below
            }
        }
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(p + " is not a folder");
        }
        if (shared && posix) {
            UserPrincipal owner = Files.getOwner(p, LinkOption.NOFOLLOW_LINKS);
            String me = System.getProperty("user.name");
            if (me != null && !owner.getName().equals(me)) {
                throw new IOException(p + " belongs to " + owner.getName() + ", not " + me);
            }
            if (!PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)).endsWith("------")) {
                throw new IOException(p + " is open to other users");
            }
        }
        if (!Files.isWritable(p)) {
            throw new IOException(p + " is not writable");
        }
        return dir;
    }

    private static String sidecarSha256(ClassLoader classLoader, String resource) throws IOException {
        String name = resource + ".sha256";
        try (InputStream in = classLoader == null ? ClassLoader.getSystemResourceAsStream(name) : classLoader.getResourceAsStream(name)) {
            if (in == null) {
                return null;
            }
            String text = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII)).readLine();
            String hash = text == null ? "" : text.trim().split("\\s+")[0].toLowerCase(Locale.ROOT);
            return hash.matches("[0-9a-f]{64}") ? hash : null;
        }
    }

    private static long contentLength(URL url) throws IOException {
        URLConnection c = url.openConnection();
        c.setUseCaches(false);
        long n = c.getContentLengthLong();
        c.getInputStream().close();
        return n;
    }

    private static String sha256(URL url) throws IOException {
        MessageDigest sha = newSha256();
        try (InputStream in = url.openStream()) {
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return hex(sha.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder(b.length * 2);
        for (byte x : b) {
            s.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return s.toString();
    }
}
