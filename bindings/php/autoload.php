<?php

/**
 * A PSR-4 autoloader for `Tpauth\` without Composer: `require '/path/to/bindings/php/autoload.php';`.
 * (With Composer, `vendor/autoload.php` does the same from composer.json.)
 */

declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    $prefix = 'Tpauth\\';
    if (strncmp($class, $prefix, strlen($prefix)) !== 0) {
        return;
    }
    $relative = substr($class, strlen($prefix));
    $map = ['Tests\\' => __DIR__ . '/tests/'];
    $base = __DIR__ . '/src/';
    foreach ($map as $sub => $dir) {
        if (strncmp($relative, $sub, strlen($sub)) === 0) {
            $relative = substr($relative, strlen($sub));
            $base = $dir;
            break;
        }
    }
    $file = $base . str_replace('\\', '/', $relative) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
