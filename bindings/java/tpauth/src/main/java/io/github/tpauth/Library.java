package io.github.tpauth;

/**
 * The native library, loaded once per class loader ({@link NativeLoader}) and checked: it must be
 * the release this jar belongs to, as every binding requires (a stale libtpauth lacks functions or
 * behaves otherwise). Every entry point that calls C first calls {@link #require()}, so that a
 * missing or mismatched library is the same clear {@link UnsatisfiedLinkError} at every call, not
 * a class-initialisation error once and a {@link NoClassDefFoundError} after.
 */
final class Library {
    private static final UnsatisfiedLinkError PROBLEM;
    /** Where the library was loaded from (null when it was not). */
    static final String PATH;
    /** The jar's release. */
    static final String BINDING_VERSION = NativeLoader.jarVersion();

    static {
        UnsatisfiedLinkError problem = null;
        String path = null;
        try {
            NativeLoader.Loaded loaded = NativeLoader.load();
            path = loaded.path;
            try {
                Lib.register(loaded.library);
            } catch (Throwable e) {
                throw new UnsatisfiedLinkError("tpauth: " + loaded.path + " lacks a function this jar calls (" + e.getMessage()
                        + "): it is not libtpauth " + BINDING_VERSION);
            }
            String mismatch = versionMismatch(Marshal.read(Lib.tp_version()), loaded.path);
            if (mismatch != null) {
                throw new UnsatisfiedLinkError(mismatch);
            }
        } catch (UnsatisfiedLinkError e) {
            problem = e;
        } catch (RuntimeException | LinkageError e) {
            problem = new UnsatisfiedLinkError("tpauth: cannot load the native library: " + e);
            problem.initCause(e);
        }
        PROBLEM = problem;
        PATH = problem == null ? path : null;
    }

    private Library() {
    }

    /** Why a library of version {@code lib} at {@code path} cannot be used by this jar, or null when it can. */
    static String versionMismatch(String lib, String path) {
        if (BINDING_VERSION.equals(lib)) {
            return null;
        }
        return "tpauth: the Java package is version " + BINDING_VERSION + " but " + path + " is libtpauth " + lib
                + ": use the libtpauth of the same release (-D" + NativeLoader.LIBRARY_PATH_PROPERTY + ")";
    }

    /** Throws the load problem, if any (a new error each time, with the first one as its cause). */
    static void require() {
        if (PROBLEM != null) {
            UnsatisfiedLinkError e = new UnsatisfiedLinkError(PROBLEM.getMessage());
            e.initCause(PROBLEM);
            throw e;
        }
    }
}
