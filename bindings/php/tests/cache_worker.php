<?php

/**
 * One "PHP request" of the legacy pattern: a fresh process that does Auth::fromEnv() (with
 * TRUSTPILOT_TOKEN_CACHE set) and one API call. Prints a JSON line: the sha256 of the access
 * token it used (never the token) and the API status.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

$auth = Tpauth\Auth::fromEnv();
$resp = $auth->request('GET', '/v1/private/business-units/worker/reviews');
$token = $auth->getToken();
echo json_encode(['token' => hash('sha256', $token->accessToken), 'status' => $resp->status]), "\n";
