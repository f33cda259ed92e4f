<?php

/**
 * One "request" of the PHP-FPM setup (see PreloadTest). Prints a JSON line.
 */

declare(strict_types=1);

$scope = false;
try {
    FFI::scope('TPAUTH');
    $scope = true;
} catch (FFI\Exception $e) {
}
$preloaded = class_exists('Tpauth\Auth', false); // without autoloading: preloaded
if (!$preloaded) {
    require_once __DIR__ . '/../autoload.php';
}
$auth = Tpauth\Auth::fromEnv();
$status = $auth->request('GET', '/v1/private/preload')->status;
echo json_encode(['scope' => $scope, 'preloaded' => $preloaded, 'status' => $status, 'version' => Tpauth\Auth::version()]), "\n";
