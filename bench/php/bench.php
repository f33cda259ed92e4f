<?php
// tpauth for PHP (FFI) next to what a PHP program writes without it: a password grant through
// Guzzle (Debian's php-guzzlehttp; no OAuth2 client for PHP is installable here) with the token kept
// in a variable. In one run against the mock: a cached token per call, one authorized GET
// (keep-alive), and the cold start to the first token (a new php process). Prints one JSON object
// (bench/all.py reads it). Usage: php -d ffi.enable=true bench/php/bench.php BASE_URL
declare(strict_types=1);

require __DIR__ . '/../../bindings/php/autoload.php';
require '/usr/share/php/GuzzleHttp/autoload.php';

$base = $argv[1] ?? exit("usage: bench.php BASE_URL\n");
const KEY = 'mock-api-key';
const SECRET = 'mock-api-secret';
const USER = 'user@example.com';
const PASS = 'mock-password';
const TOKEN_PATH = '/v1/oauth/oauth-business-users-for-applications/accesstoken';
const API_PATH = '/v1/private/business-units/x';

/** The median over $rounds rounds of the mean seconds per call of $n calls, in ns. */
function perCall(callable $f, int $n, int $rounds = 7): float
{
    $t = [];
    for ($r = 0; $r < $rounds; $r++) {
        $t0 = hrtime(true);
        for ($i = 0; $i < $n; $i++) {
            $f();
        }
        $t[] = (hrtime(true) - $t0) / $n;
    }
    sort($t);
    return $t[intdiv(count($t), 2)];
}

/** The peer: Guzzle, a password grant, the token and its expiry kept in the object. */
final class HandWritten
{
    private ?string $token = null;
    private int $expires = 0;
    private \GuzzleHttp\Client $http;

    public function __construct(private string $base)
    {
        $this->http = new \GuzzleHttp\Client(['base_uri' => $base, 'http_errors' => false]);
    }

    public function token(): string
    {
        if ($this->token !== null && $this->expires > time() + 60) {
            return $this->token;
        }
        $r = $this->http->post(TOKEN_PATH, [
            'auth' => [KEY, SECRET],
            'form_params' => ['grant_type' => 'password', 'username' => USER, 'password' => PASS],
        ]);
        $j = json_decode((string) $r->getBody(), true);
        $this->token = $j['access_token'];
        $this->expires = time() + (int) $j['expires_in'];
        return $this->token;
    }

    public function get(string $path): int
    {
        return $this->http->get($path, ['headers' => ['Authorization' => 'Bearer ' . $this->token(), 'apikey' => KEY]])->getStatusCode();
    }
}

$auth = new \Tpauth\Auth(KEY, SECRET, ['api_base_url' => $base, 'allow_insecure_http' => 'true', 'username' => USER, 'password' => PASS]);
$auth->getToken();
$peer = new HandWritten($base);
$peer->token();

$out = [
    'tpauth_cached_ns' => perCall(fn () => $auth->getToken(), 100000),
    'peer_cached_ns' => perCall(fn () => $peer->token(), 100000),
    'tpauth_get_us' => perCall(fn () => $auth->request('GET', API_PATH), 300) / 1000,
    'peer_get_us' => perCall(fn () => $peer->get(API_PATH), 300) / 1000,
];

// Cold start: a new php process to its first token, median of 7.
$php = PHP_BINARY . ' -d ffi.enable=true';
$root = escapeshellarg(__DIR__ . '/../../bindings/php/autoload.php');
$b = escapeshellarg($base);
$cold = function (string $code) use ($php): float {
    $t = [];
    for ($i = 0; $i < 7; $i++) {
        $t0 = hrtime(true);
        exec($php . ' -r ' . escapeshellarg($code), $o, $rc);
        if ($rc !== 0) {
            exit("cold start failed: $code\n");
        }
        $t[] = (hrtime(true) - $t0) / 1e6;
    }
    sort($t);
    return $t[3];
};
$out['tpauth_cold_ms'] = $cold("require $root; (new Tpauth\\Auth('" . KEY . "', '" . SECRET . "', ['api_base_url' => $b, 'allow_insecure_http' => 'true', 'username' => '" . USER . "', 'password' => '" . PASS . "']))->getToken();");
$out['peer_cold_ms'] = $cold("require '/usr/share/php/GuzzleHttp/autoload.php'; (new GuzzleHttp\\Client(['base_uri' => $b]))->post('" . TOKEN_PATH . "', ['auth' => ['" . KEY . "', '" . SECRET . "'], 'form_params' => ['grant_type' => 'password', 'username' => '" . USER . "', 'password' => '" . PASS . "']])->getBody()->getContents();");
echo json_encode($out), "\n";
