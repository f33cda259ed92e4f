<?php

declare(strict_types=1);

namespace Tpauth\Internal;

use FFI;
use FFI\CData;
use Tpauth\Exception;
use Tpauth\InvalidArgumentException;
use Tpauth\Status;

/**
 * The one place that talks to libtpauth: loads it (a preloaded `FFI_SCOPE` when there is one,
 * else `FFI::cdef` of the directive-free header), copies and frees returned strings, and turns
 * `tp_error`s into exceptions.
 *
 * @internal
 */
final class Native
{
    /** The `FFI_SCOPE` that preload.php registers. */
    public const SCOPE = 'TPAUTH';

    private static ?FFI $ffi = null;

    private function __construct()
    {
    }

    public static function ffi(): FFI
    {
        return self::$ffi ??= self::checkVersion(self::load());
    }

    /**
     * The library must be the release this package was written for (`Auth::VERSION`): a stale
     * libtpauth.so lacks functions or behaves otherwise, so refuse it with a clear message.
     */
    private static function checkVersion(FFI $ffi): FFI
    {
        $problem = self::versionMismatch((string) $ffi->tp_version());
        if ($problem !== null) {
            throw new \RuntimeException($problem);
        }
        return $ffi;
    }

    /** Why a library of version `$lib` cannot be used by this package, or null when it can. */
    public static function versionMismatch(string $lib): ?string
    {
        if ($lib === \Tpauth\Auth::VERSION) {
            return null;
        }
        return 'tpauth: the PHP package is version ' . \Tpauth\Auth::VERSION . ' but ' . self::libraryPath() . ' is libtpauth '
            . $lib . ': install the libtpauth of the same release (or point TPAUTH_LIB at it)';
    }

    /** The package's root folder (where composer.json is). */
    public static function packageDir(): string
    {
        return dirname(__DIR__, 2);
    }

    /**
     * The shared library to load: `TPAUTH_LIB`, else a `libtpauth.so` beside the package (its root
     * or its `lib/` folder: a build of your own), else the package's prebuilt one for this platform
     * (`lib/<os>-<arch>[-musl]/libtpauth.so`, as the released package ships them, also under
     * `vendor/`), else the system's (`libtpauth.so` through the dynamic loader's path). On Windows:
     * `lib/windows-x86_64/tpauth.dll` in the package, else `tpauth.dll` on the DLL search path.
     */
    public static function libraryPath(): string
    {
        $env = getenv('TPAUTH_LIB');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        $dir = self::packageDir();
        if (PHP_OS_FAMILY === 'Windows') {
            // The package ships lib/windows-x86_64/tpauth.dll (x86_64-pc-windows-gnu, mingw-w64).
            foreach ([$dir . '/lib/windows-x86_64/tpauth.dll', $dir . '/tpauth.dll', $dir . '/lib/tpauth.dll'] as $candidate) {
                if (is_file($candidate)) {
                    return $candidate;
                }
            }
            return 'tpauth.dll';
        }
        $file = PHP_OS_FAMILY === 'Darwin' ? 'libtpauth.dylib' : 'libtpauth.so';
        $candidates = [$dir . '/' . $file, $dir . '/lib/' . $file];
        $platform = self::platform();
        if ($platform !== null) {
            $candidates[] = $dir . '/lib/' . $platform . '/' . $file;
        }
        foreach ($candidates as $candidate) {
            if (is_file($candidate)) {
                return $candidate;
            }
        }
        return $file;
    }

    /**
     * This process's platform as the package's `lib/` folders name it: `linux-x86_64`,
     * `linux-aarch64`, with `-musl` when PHP itself runs on musl (Alpine); `osx-arm64`, `osx-x64`
     * on macOS (Herd, Valet, Homebrew); null elsewhere.
     */
    public static function platform(): ?string
    {
        $machine = strtolower(php_uname('m'));
        if (PHP_OS_FAMILY === 'Darwin') {
            return match ($machine) {
                'arm64', 'aarch64' => 'osx-arm64',
                'x86_64', 'amd64' => 'osx-x64',
                default => null,
            };
        }
        if (PHP_OS_FAMILY !== 'Linux') {
            return null;
        }
        $arch = match ($machine) {
            'x86_64', 'amd64' => 'x86_64',
            'aarch64', 'arm64' => 'aarch64',
            default => null,
        };
        return $arch === null ? null : 'linux-' . $arch . (self::isMusl() ? '-musl' : '');
    }

    /** Whether this PHP runs on musl: its C library, as mapped into the process, is musl's. */
    private static function isMusl(): bool
    {
        $maps = @file_get_contents('/proc/self/maps');
        if (is_string($maps) && $maps !== '') {
            return (bool) preg_match('~/(ld-musl-[^/\s]*\.so|libc\.musl-[^/\s]*\.so)~', $maps);
        }
        return glob('/lib/ld-musl-*.so.1') !== [] && glob('/lib*/libc.so.6') === [];
    }

    /**
     * The directive-free header: `TPAUTH_FFI_HEADER`, else `tpauth_ffi.h` beside the package (root or
     * `include/`; the released package ships it at its root), else, in a checkout of the repository,
     * its `include/tpauth_ffi.h`, else the system's include folders.
     */
    public static function headerPath(): string
    {
        $env = getenv('TPAUTH_FFI_HEADER');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        $dir = self::packageDir();
        $candidates = [$dir . '/tpauth_ffi.h', $dir . '/include/tpauth_ffi.h'];
        // Only inside the repository (bindings/php beside the crate's Cargo.toml), never outside
        // the package when it is installed under vendor/.
        if (is_file(dirname($dir, 2) . '/Cargo.toml')) {
            $candidates[] = dirname($dir, 2) . '/include/tpauth_ffi.h';
        }
        $candidates[] = '/usr/local/include/tpauth_ffi.h';
        $candidates[] = '/usr/include/tpauth_ffi.h';
        foreach ($candidates as $candidate) {
            if (is_file($candidate)) {
                return $candidate;
            }
        }
        throw new \RuntimeException('tpauth: tpauth_ffi.h not found (looked in ' . implode(', ', $candidates)
            . '); set TPAUTH_FFI_HEADER');
    }

    /**
     * The declarations handed to FFI. One change to the header: `tp_response_body` is declared to
     * return `const uint8_t *` so that FFI hands back a pointer (read with its length, so a body
     * holding NUL bytes survives) instead of converting a `const char *` at the first NUL.
     */
    public static function declarations(): string
    {
        $text = @file_get_contents(self::headerPath());
        if ($text === false) {
            throw new \RuntimeException('tpauth: cannot read ' . self::headerPath());
        }
        return (string) preg_replace('/const\s+char\s*\*\s*tp_response_body\s*\(/', 'const uint8_t *tp_response_body(', $text);
    }

    private static function load(): FFI
    {
        if (!extension_loaded('ffi')) {
            throw new \RuntimeException('tpauth: the PHP extension ffi is not loaded (php-ffi / --with-ffi)');
        }
        // Preloaded (opcache.preload = preload.php): the header was parsed once by the master.
        try {
            return FFI::scope(self::SCOPE);
        } catch (\Throwable) {
            // not preloaded: fall through
        }
        $lib = self::libraryPath();
        try {
            return FFI::cdef(self::declarations(), $lib);
        } catch (\FFI\Exception $e) {
            if (str_contains($e->getMessage(), 'ffi.enable')) {
                // Debian's and most distributions' default, ffi.enable=preload, refuses FFI::cdef
                // outside the CLI: every web server hits this, and the library path is not the cause.
                $mode = (string) ini_get('ffi.enable');
                throw new \RuntimeException('tpauth: PHP refuses FFI here (' . $e->getMessage() . '; this SAPI has ffi.enable='
                    . (in_array($mode, ['', '0', 'off'], true) ? 'false' : $mode) . '). Either set ffi.enable=true in this SAPI\'s php.ini, or keep ffi.enable=preload and '
                    . 'preload tpauth: opcache.preload=' . self::packageDir() . '/preload.php (see its header; with '
                    . 'opcache.preload_user, also ffi.preload of the header `php ' . self::packageDir()
                    . '/preload.php --write-header FILE` writes)', 0, $e);
            }
            throw new \RuntimeException('tpauth: cannot load ' . $lib . ': ' . $e->getMessage()
                . ' (set TPAUTH_LIB to the path of libtpauth.so / libtpauth.dylib / tpauth.dll)', 0, $e);
        }
    }

    /** A fresh `tp_error *` out-parameter box (pass `FFI::addr()` of it). */
    public static function errBox(): CData
    {
        return self::ffi()->new('tp_error*');
    }

    /** Throws the exception for a failed call and frees the `tp_error` (when status is not TP_OK). */
    public static function check(int $status, CData $err): void
    {
        if ($status !== Status::OK) {
            throw self::exception($status, $err);
        }
    }

    /** The exception for a failed call; frees the `tp_error`. */
    public static function exception(int $status, CData $err): Exception
    {
        $ffi = self::ffi();
        if (FFI::isNull($err)) {
            return Exception::forStatus($status, Status::name($status));
        }
        try {
            $code = (int) $ffi->tp_error_status($err);
            $message = self::borrowed($ffi->tp_error_message($err)) ?? Status::name($code);
            $http = (int) $ffi->tp_error_http_status($err);
            $oauth = self::borrowed($ffi->tp_error_oauth_code($err));
            $retry = (int) $ffi->tp_error_retry_after_ms($err);
        } finally {
            $ffi->tp_error_free($err);
        }
        return Exception::forStatus($code !== Status::OK ? $code : $status, $message, $http, $oauth, $retry);
    }

    /** A borrowed `const char *` (FFI already copied it into a PHP string; NULL is null). */
    public static function borrowed(mixed $value): ?string
    {
        if ($value === null) {
            return null;
        }
        if (is_string($value)) {
            return $value;
        }
        if ($value instanceof CData) {
            return FFI::isNull($value) ? null : FFI::string($value);
        }
        return (string) $value;
    }

    /** Copies an owned `char *` into a PHP string and frees it with `tp_string_free`. */
    public static function owned(CData $ptr): ?string
    {
        if (FFI::isNull($ptr)) {
            return null;
        }
        try {
            return FFI::string($ptr);
        } finally {
            self::ffi()->tp_string_free($ptr);
        }
    }

    /**
     * Checks a string argument before it crosses into C: null where a value is required, or a NUL
     * byte (C would silently cut the string there), is an InvalidArgumentException. The message
     * names the argument, never its value.
     */
    public static function arg(#[\SensitiveParameter] ?string $value, string $name, bool $nullable = false): ?string
    {
        if ($value === null) {
            if ($nullable) {
                return null;
            }
            throw new InvalidArgumentException($name . ' must not be null', Status::INVALID_ARGUMENT);
        }
        if (str_contains($value, "\0")) {
            throw new InvalidArgumentException($name . ' must not contain NUL bytes', Status::INVALID_ARGUMENT);
        }
        return $value;
    }
}
