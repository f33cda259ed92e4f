<?php

/**
 * PHP-FPM preloading for tpauth: load libtpauth and parse its header once, in the FPM master,
 * instead of in every request; and compile the Tpauth classes once.
 *
 * 1. Write the scope header once (at deploy time; it holds libtpauth's absolute path):
 *
 *        php vendor/tpauth/tpauth/preload.php --write-header /etc/php/tpauth-ffi.h
 *
 * 2. php.ini of the FPM SAPI (e.g. /etc/php/8.2/fpm/conf.d/30-tpauth.ini):
 *
 *        ffi.enable = preload                         ; FFI only for preloaded declarations
 *        ffi.preload = /etc/php/tpauth-ffi.h          ; registers FFI scope "TPAUTH" at startup
 *        opcache.enable = 1
 *        opcache.preload = /path/to/app/vendor/tpauth/tpauth/preload.php   ; optional: the classes, compiled once
 *        opcache.preload_user = www-data              ; needed when the master runs as root
 *
 * Without ffi.preload, this script registers the scope itself with FFI::load, which PHP allows
 * only when preloading does not switch users (no opcache.preload_user). Request code then finds
 * the scope with FFI::scope('TPAUTH') (see Tpauth\Internal\Native), which ffi.enable=preload
 * allows, while FFI::cdef stays refused.
 */

declare(strict_types=1);

require_once __DIR__ . '/autoload.php';

/** The header variant for FFI::load / ffi.preload: FFI_SCOPE and FFI_LIB, then the declarations. */
function tpauth_scope_header(): string
{
    $lib = Tpauth\Internal\Native::libraryPath();
    if (str_contains($lib, '/') && ($real = realpath($lib)) !== false) {
        $lib = $real;
    }
    return '#define FFI_SCOPE "' . Tpauth\Internal\Native::SCOPE . "\"\n"
        . '#define FFI_LIB "' . addcslashes($lib, "\"\\") . "\"\n"
        . Tpauth\Internal\Native::declarations();
}

// Run as a script (not as opcache.preload): write the header for ffi.preload.
if (PHP_SAPI === 'cli' && isset($argv[0]) && realpath($argv[0]) === __FILE__) {
    if (($argv[1] ?? '') !== '--write-header' || !isset($argv[2])) {
        fwrite(STDERR, "usage: php preload.php --write-header PATH   (the header for ffi.preload)\n");
        exit(2);
    }
    if (file_put_contents($argv[2], tpauth_scope_header()) === false) {
        fwrite(STDERR, "cannot write {$argv[2]}\n");
        exit(1);
    }
    exit(0);
}

(static function (): void {
    $scoped = false;
    try {
        FFI::scope(Tpauth\Internal\Native::SCOPE); // already registered by ffi.preload
        $scoped = true;
    } catch (Throwable) {
    }
    if (!$scoped) {
        // FFI::load reads a file: write the header variant to a private temporary file.
        $file = tempnam(sys_get_temp_dir(), 'tpauth-ffi-');
        try {
            if ($file === false || file_put_contents($file, tpauth_scope_header()) === false) {
                throw new RuntimeException('cannot write a temporary header file');
            }
            if (FFI::load($file) === null) {
                throw new RuntimeException('FFI::load failed for ' . Tpauth\Internal\Native::libraryPath());
            }
        } catch (Throwable $e) {
            trigger_error('tpauth preload: ' . $e->getMessage() . '; set ffi.preload to the header that'
                . ' "php preload.php --write-header PATH" writes', E_USER_WARNING);
        } finally {
            if ($file !== false) {
                @unlink($file);
            }
        }
    }
    // Compile every class so that request code pays nothing for them either.
    $src = __DIR__ . '/src';
    $files = [];
    foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator($src, FilesystemIterator::SKIP_DOTS)) as $f) {
        if ($f->getExtension() === 'php') {
            $files[] = $f->getPathname();
        }
    }
    sort($files);
    foreach ($files as $f) {
        $class = 'Tpauth\\' . str_replace('/', '\\', substr($f, strlen($src) + 1, -4));
        // The PSR-18 decorator implements psr/http-client's interfaces, an optional dependency.
        if (str_starts_with($class, 'Tpauth\\Psr18\\') && !interface_exists('Psr\\Http\\Client\\ClientInterface')) {
            continue;
        }
        class_exists($class);
    }
})();
