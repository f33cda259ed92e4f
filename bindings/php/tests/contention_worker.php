<?php

/**
 * One busy process of ContentionTest: Auth::fromEnv() (TRUSTPILOT_TOKEN_CACHE shared with the
 * others), then getToken() with no pause (and every 16th call an API call) until it has seen a
 * token of an hour or more (the last of the mock's expires_in_schedule), then CALLS_AFTER calls
 * more. Prints a JSON line: calls made and the errors seen (never a token).
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

$after = (int) (getenv('CALLS_AFTER') ?: '200');
$auth = Tpauth\Auth::fromEnv();
$calls = 0;
$errors = [];
for ($seen = 0; $seen < $after && count($errors) === 0; $calls++) {
    try {
        if ($calls % 16 === 0) {
            $status = $auth->request('GET', '/v1/private/contention')->status;
            if ($status !== 200) {
                $errors[] = "API status $status";
            }
            continue;
        }
        $asked = time();
        $token = $auth->getToken();
        if ($token->expiresAt !== null && $token->expiresAt < $asked) {
            $errors[] = 'a token that had expired before it was asked for';
        }
        if (($token->expiresIn ?? 0) >= 3600) {
            $seen++;
        }
    } catch (Tpauth\Exception $e) {
        $errors[] = get_class($e) . ': ' . $e->getMessage();
    }
}
echo json_encode(['calls' => $calls, 'errors' => $errors]), "\n";
