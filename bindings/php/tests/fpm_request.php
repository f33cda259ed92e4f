<?php

/**
 * One web request of a legacy PHP application under PHP-FPM, as the README shows it: the pool
 * passes TRUSTPILOT_* (env[...]), the request does Auth::fromEnv() and calls the API.
 */

declare(strict_types=1);

$cdefRefused = false;
try {
    FFI::cdef('int abs(int);');
} catch (Throwable $e) {
    $cdefRefused = true;
}
$preloaded = class_exists('Tpauth\Auth', false); // compiled by opcache.preload, no autoloader needed
if (!$preloaded) {
    require __DIR__ . '/../autoload.php';
}
header('Content-Type: application/json');
try {
    $auth = Tpauth\Auth::fromEnv();
    $resp = $auth->request('GET', '/v1/private/business-units/fpm/reviews');
    echo json_encode(['status' => $resp->status, 'token' => hash('sha256', $auth->getToken()->accessToken),
        'pid' => getmypid(), 'cdef_refused' => $cdefRefused, 'preloaded' => $preloaded]);
} catch (Tpauth\Exception $e) {
    http_response_code(500);
    echo json_encode(['error' => get_class($e) . ': ' . $e->getMessage()]);
}
