<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/**
 * The PHP-FPM story: every request is a fresh process doing Auth::fromEnv() with
 * TRUSTPILOT_TOKEN_CACHE set; together they must authenticate once.
 */
final class SharedCacheTest extends TestCase
{
    private string $dir;

    protected function setUp(): void
    {
        parent::setUp();
        $this->dir = sys_get_temp_dir() . '/tpauth-php-cache-' . bin2hex(random_bytes(6));
        mkdir($this->dir, 0700);
    }

    protected function tearDown(): void
    {
        foreach (glob($this->dir . '/{,.}*', GLOB_BRACE) ?: [] as $f) {
            if (is_file($f)) {
                unlink($f);
            }
        }
        rmdir($this->dir);
    }

    /**
     * Starts `$n` php processes at once and waits for all.
     *
     * @param array<string, string> $env
     * @return list<array{code: int, out: string, err: string}>
     */
    private function runWorkers(int $n, array $env): array
    {
        $base = getenv();
        foreach (array_keys($base) as $k) {
            if (str_starts_with($k, 'TRUSTPILOT_')) {
                unset($base[$k]);
            }
        }
        $env = array_merge($base, $env);
        $cmd = [PHP_BINARY, '-d', 'ffi.enable=true', __DIR__ . '/cache_worker.php'];
        $procs = [];
        for ($i = 0; $i < $n; $i++) {
            $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
            $this->assertIsResource($p);
            $procs[] = [$p, $pipes];
        }
        $results = [];
        foreach ($procs as [$p, $pipes]) {
            $out = (string) stream_get_contents($pipes[1]);
            $err = (string) stream_get_contents($pipes[2]);
            fclose($pipes[1]);
            fclose($pipes[2]);
            $results[] = ['code' => proc_close($p), 'out' => $out, 'err' => $err];
        }
        return $results;
    }

    public function testTwentyProcessesMakeOneTokenRequest(): void
    {
        $cache = $this->dir . '/trustpilot.token';
        $results = $this->runWorkers(20, Mock::env(['TRUSTPILOT_TOKEN_CACHE' => $cache]));
        $tokens = [];
        foreach ($results as $i => $r) {
            $this->assertSame(0, $r['code'], "worker $i failed: {$r['err']}{$r['out']}");
            $this->assertNoSecret($r['out'] . $r['err'], "worker $i output");
            $line = json_decode(trim($r['out']), true);
            $this->assertSame(200, $line['status']);
            $tokens[] = $line['token'];
        }
        $this->assertCount(1, array_unique($tokens), 'every process used the same token');
        $stats = Mock::stats();
        $this->assertSame(1, $stats['token_requests'], 'exactly one token request for 20 processes');
        $this->assertSame(20, $stats['api_requests']);

        $this->assertFileExists($cache);
        $this->assertSame(0600, fileperms($cache) & 0777, 'the cache file is private');

        // a later "request" is served from the cache too
        $again = $this->runWorkers(1, Mock::env(['TRUSTPILOT_TOKEN_CACHE' => $cache]));
        $this->assertSame(0, $again[0]['code'], $again[0]['err']);
        $this->assertSame($tokens[0], json_decode(trim($again[0]['out']), true)['token']);
        $this->assertSame(1, Mock::tokenRequests());
    }

    public function testWithoutACacheEveryProcessAuthenticates(): void
    {
        // the control: the same five processes without TRUSTPILOT_TOKEN_CACHE
        $results = $this->runWorkers(5, Mock::env());
        foreach ($results as $r) {
            $this->assertSame(0, $r['code'], $r['err']);
        }
        $this->assertSame(5, Mock::tokenRequests());
    }

    public function testExpiredSharedTokenIsRenewedOnceByTheFirstProcess(): void
    {
        $cache = $this->dir . '/trustpilot.token';
        $env = Mock::env(['TRUSTPILOT_TOKEN_CACHE' => $cache]);
        $first = $this->runWorkers(1, $env);
        $this->assertSame(0, $first[0]['code'], $first[0]['err']);
        Mock::expire();
        $results = $this->runWorkers(10, $env);
        $tokens = [];
        foreach ($results as $r) {
            $this->assertSame(0, $r['code'], $r['err']);
            $tokens[] = json_decode(trim($r['out']), true)['token'];
        }
        $this->assertNotContains(json_decode(trim($first[0]['out']), true)['token'], $tokens);
        $this->assertCount(1, array_unique($tokens));
        $this->assertSame(2, Mock::tokenRequests(), 'one grant, then one renewal for ten processes');
    }
}
