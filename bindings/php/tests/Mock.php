<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/**
 * The mock Trustpilot server (docs/mock.md): one `tpauth mock` process for the whole suite,
 * started on 127.0.0.1 port 0 and stopped when the suite ends (or when our stdin pipe closes).
 */
final class Mock
{
    public const KEY = 'mock-api-key';
    public const SECRET = 'mock-api-secret';
    public const USER = 'user@example.com';
    public const PASSWORD = 'mock-password';
    public const TOKEN_PATH = '/v1/oauth/oauth-business-users-for-applications/accesstoken';
    public const REFRESH_PATH = '/v1/oauth/oauth-business-users-for-applications/refresh';
    public const REVOKE_PATH = '/v1/oauth/oauth-business-users-for-applications/revoke';

    /** @var resource|null */
    private static $proc = null;
    /** @var array<int, resource> */
    private static array $pipes = [];
    private static int $port = 0;

    public static function bin(): string
    {
        $bin = getenv('TPAUTH_BIN');
        return is_string($bin) && $bin !== '' ? $bin : dirname(__DIR__, 3) . '/target/release/tpauth';
    }

    public static function port(): int
    {
        if (self::$proc === null) {
            self::start();
        }
        return self::$port;
    }

    public static function url(string $path = ''): string
    {
        return 'http://127.0.0.1:' . self::port() . $path;
    }

    private static function start(): void
    {
        $bin = self::bin();
        if (!is_executable($bin)) {
            throw new \RuntimeException("mock: $bin is not executable (run scripts/build-native.sh or set TPAUTH_BIN)");
        }
        $proc = proc_open([$bin, 'mock', '--port', '0', '--exit-on-stdin-eof'], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes);
        if (!is_resource($proc)) {
            throw new \RuntimeException('mock: cannot start ' . $bin);
        }
        $line = fgets($pipes[1]);
        if ($line === false || !ctype_digit(trim($line))) {
            proc_terminate($proc);
            throw new \RuntimeException('mock: no port on its first line (got ' . var_export($line, true) . ')');
        }
        self::$proc = $proc;
        self::$pipes = $pipes;
        self::$port = (int) trim($line);
        register_shutdown_function([self::class, 'stop']);
    }

    public static function stop(): void
    {
        if (self::$proc !== null) {
            foreach (self::$pipes as $p) {
                @fclose($p);
            }
            proc_terminate(self::$proc);
            proc_close(self::$proc);
            self::$proc = null;
        }
    }

    /**
     * A plain HTTP call (no redirects followed).
     *
     * @return array{status: int, headers: array<string, string>, body: string}
     */
    public static function http(string $method, string $path, ?string $body = null, string $contentType = 'application/json'): array
    {
        $opts = ['method' => $method, 'ignore_errors' => true, 'follow_location' => 0, 'timeout' => 30,
            'header' => "Connection: close\r\n" . ($body !== null ? "Content-Type: $contentType\r\n" : '')];
        if ($body !== null) {
            $opts['content'] = $body;
        }
        $url = str_starts_with($path, 'http') ? $path : self::url($path);
        $resp = @file_get_contents($url, false, stream_context_create(['http' => $opts]));
        $raw = $http_response_header ?? [];
        if ($resp === false && $raw === []) {
            throw new \RuntimeException("mock: $method $path failed");
        }
        $status = 0;
        $headers = [];
        foreach ($raw as $i => $line) {
            if ($i === 0) {
                $status = (int) (explode(' ', $line)[1] ?? 0);
            } elseif (str_contains($line, ':')) {
                [$k, $v] = explode(':', $line, 2);
                $headers[strtolower(trim($k))] = trim($v);
            }
        }
        return ['status' => $status, 'headers' => $headers, 'body' => (string) $resp];
    }

    /** @return array<string, mixed> */
    private static function jsonCall(string $method, string $path, ?array $body = null): array
    {
        $r = self::http($method, $path, $body === null ? null : json_encode($body, JSON_THROW_ON_ERROR));
        if ($r['status'] !== 200) {
            throw new \RuntimeException("mock: $method $path answered {$r['status']}: {$r['body']}");
        }
        $decoded = $r['body'] === '' ? [] : json_decode($r['body'], true, 512, JSON_THROW_ON_ERROR);
        return is_array($decoded) ? $decoded : [];
    }

    public static function reset(): void
    {
        self::jsonCall('POST', '/_mock/reset', []);
    }

    /** @param array<string, mixed> $config */
    public static function config(array $config): void
    {
        self::jsonCall('POST', '/_mock/config', $config);
    }

    /** @param array<string, mixed> $fault */
    public static function fault(array $fault): void
    {
        self::jsonCall('POST', '/_mock/fault', $fault);
    }

    public static function expire(): void
    {
        self::jsonCall('POST', '/_mock/expire', []);
    }

    /** @return array<string, mixed> */
    public static function stats(): array
    {
        return self::jsonCall('GET', '/_mock/stats');
    }

    public static function tokenRequests(): int
    {
        return (int) self::stats()['token_requests'];
    }

    /** @return array{method: string, path: string, headers: list<array{0: string, 1: string}>, body: string} */
    public static function lastTokenRequest(): array
    {
        return self::jsonCall('GET', '/_mock/last_token_request');
    }

    /** @return array{method: string, path: string, headers: list<array{0: string, 1: string}>, body: string} */
    public static function lastApiRequest(): array
    {
        return self::jsonCall('GET', '/_mock/last_api_request');
    }

    /** The first value of a header in a recorded request. */
    public static function headerOf(array $request, string $name): ?string
    {
        foreach ($request['headers'] as [$k, $v]) {
            if (strtolower($k) === strtolower($name)) {
                return $v;
            }
        }
        return null;
    }

    /**
     * Options for a client of the mock.
     *
     * @param array<string, mixed> $extra
     * @return array<string, mixed>
     */
    public static function options(array $extra = []): array
    {
        return array_merge([
            'api_base_url' => self::url(),
            'authorize_url' => self::url('/authenticate'),
            'allow_insecure_http' => true,
        ], $extra);
    }

    /** The environment `Auth::fromEnv()` reads, for a client of the mock. */
    public static function env(array $extra = []): array
    {
        return array_merge([
            'TRUSTPILOT_API_KEY' => self::KEY,
            'TRUSTPILOT_API_SECRET' => self::SECRET,
            'TRUSTPILOT_USERNAME' => self::USER,
            'TRUSTPILOT_PASSWORD' => self::PASSWORD,
            'TRUSTPILOT_API_HOST' => self::url(),
            'TRUSTPILOT_AUTHORIZE_URL' => self::url('/authenticate'),
            'TRUSTPILOT_ALLOW_INSECURE_HTTP' => 'true',
        ], $extra);
    }
}
