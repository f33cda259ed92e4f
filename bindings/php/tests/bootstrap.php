<?php

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

// The adapters' dependencies, from Debian's php-guzzlehttp-guzzle and php-psr-http-client (test.sh
// installs them): IntegrationsTest needs both.
foreach (['GuzzleHttp/autoload.php', 'Psr/Http/Client/autoload.php'] as $dependency) {
    if (stream_resolve_include_path($dependency) !== false) {
        require_once $dependency;
    }
}

// The library under test: TPAUTH_LIB, else the repository's release build.
if (!is_string(getenv('TPAUTH_LIB')) || getenv('TPAUTH_LIB') === '') {
    putenv('TPAUTH_LIB=' . dirname(__DIR__, 3) . '/target/release/libtpauth.so');
}
// Traces keep their arguments (as a development php.ini has it), so that the tests see any
// secret that would leak into an uncaught exception's output.
ini_set('zend.exception_ignore_args', '0');
