<?php
// The dist suite's PHP check: a password grant, then an API call with that token (the mock's URL
// and credentials come from the environment tests/dist/lib.sh sets). Run from a Composer project.

declare(strict_types=1);

require __DIR__ . '/vendor/autoload.php';

$auth = new Tpauth\Auth(getenv('TRUSTPILOT_API_KEY'), getenv('TRUSTPILOT_API_SECRET'), [
    'api_base_url' => getenv('MOCK_URL'),
    'allow_insecure_http' => 'true',
]);
echo 'version ', Tpauth\Auth::version(), "\n";
$tok = $auth->passwordGrant(getenv('TRUSTPILOT_USERNAME'), getenv('TRUSTPILOT_PASSWORD'));
echo 'grant ', $tok->tokenType, "\n";
$resp = $auth->request('GET', '/v1/private/business-units/dist-check');
echo 'api ', $resp->status, ' ', $resp->text(), "\n";
echo 'library ', Tpauth\Internal\Native::libraryPath(), "\n";
