<?php

/**
 * The valgrind smoke: every entry point once, successes and failures, then exit. Run with
 * USE_ZEND_ALLOC=0 under `valgrind --leak-check=full`: no definite or indirect leak may show.
 * Usage: php smoke.php MOCK_PORT
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Tpauth\Auth;
use Tpauth\Token;

$base = 'http://127.0.0.1:' . (int) ($argv[1] ?? 0);
$opts = ['api_base_url' => $base, 'authorize_url' => $base . '/authenticate', 'allow_insecure_http' => true];
$errors = 0;
$expectFail = static function (callable $fn) use (&$errors): void {
    try {
        $fn();
        $errors++;
        fwrite(STDERR, "smoke: expected an exception\n");
    } catch (Tpauth\Exception $e) {
        $e->getMessage();
        $e->getHttpStatus();
        $e->getRetryAfter();
        $e->getOAuthCode();
    }
};

for ($round = 0; $round < 3; $round++) {
    $auth = new Auth('mock-api-key', 'mock-api-secret', $opts + ['username' => 'user@example.com', 'password' => 'mock-password']);
    $t = $auth->passwordGrant('user@example.com', 'mock-password');
    $json = $t->toJson();
    $u = Token::fromJson($json);
    $auth->setToken($u);
    $auth->getToken();
    $auth->refresh();
    $r = $auth->request('GET', '/v1/private/smoke?x=1');
    $r->json();
    $r->headers();
    $r->header('content-type');
    $auth->request('POST', '/v1/private/smoke', '{"a":1}', 'application/json');
    $auth->invalidateToken($auth->getToken()->accessToken);
    $auth->getToken();
    $state = Auth::newState();
    $url = $auth->authorizeUrl('https://app.example.com/cb', 'code', $state);
    Auth::parseCodeRedirect('https://app.example.com/cb?code=abc&state=' . $state, $state);
    Auth::parseImplicitRedirect('https://app.example.com/cb#access_token=at&token_type=bearer&expires_in=60&state=s', 's');
    $auth->revoke();
    $cc = new Auth('mock-api-key', 'mock-api-secret', $opts + ['business_user_id' => 'b']);
    $cc->clientCredentialsGrant();
    $t->isExpired(10);
    $t->__debugInfo();

    $expectFail(fn () => $auth->passwordGrant('user@example.com', 'wrong'));
    $expectFail(fn () => new Auth('k', 's', ['nope' => 1]));
    $expectFail(fn () => new Auth('k', 's', ['timeout_ms' => 'x']));
    $expectFail(fn () => Token::fromJson('garbage'));
    $expectFail(fn () => Auth::parseCodeRedirect('https://a.example/cb?code=c&state=a', 'b'));
    $expectFail(fn () => (new Auth('k', 's', $opts + ['grant' => 'none']))->getToken());
    $expectFail(fn () => $auth->authorizeUrl('http://insecure.example/cb'));
    $expectFail(fn () => (new Auth('mock-api-key', 'bad', $opts))->clientCredentialsGrant());
    unset($auth, $cc, $t, $u, $r);
    gc_collect_cycles();
}
if (getenv('TPAUTH_SMOKE_LEAK') === '1') {
    // the detector's control: a state string deliberately not given back to tp_string_free
    Tpauth\Internal\Native::ffi()->tp_new_state();
}
echo $errors === 0 ? "smoke ok\n" : "smoke: $errors failures\n";
exit($errors === 0 ? 0 : 1);
