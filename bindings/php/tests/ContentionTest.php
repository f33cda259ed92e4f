<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/**
 * Single flight under contention across processes: 20 busy PHP processes sharing a
 * file token cache make exactly one token request per lifetime. The lifetimes come from the mock
 * (expires_in_schedule: four tokens of 1 s, then one of an hour), so the exact count is known in
 * advance whatever the scheduler does: a loaded machine only makes the run longer.
 */
final class ContentionTest extends TestCase
{
    public function testTwentyBusyProcessesSharingAFileCacheMakeOneRequestPerLifetime(): void
    {
        $schedule = [1, 1, 1, 1, 3600];
        Mock::config(['expires_in_schedule' => $schedule]);
        $dir = sys_get_temp_dir() . '/tpauth-php-contention-' . bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        $env = getenv();
        foreach (array_keys($env) as $k) {
            if (str_starts_with($k, 'TRUSTPILOT_')) {
                unset($env[$k]);
            }
        }
        $env = array_merge($env, Mock::env([
            'TRUSTPILOT_TOKEN_CACHE' => $dir . '/trustpilot.token',
            'TRUSTPILOT_REFRESH_LEEWAY_S' => '1',
            'CALLS_AFTER' => '200',
        ]));
        $cmd = [PHP_BINARY, '-d', 'ffi.enable=true', __DIR__ . '/contention_worker.php'];
        $procs = [];
        for ($i = 0; $i < 20; $i++) {
            $p = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
            $this->assertIsResource($p);
            $procs[] = [$p, $pipes];
        }
        $calls = 0;
        foreach ($procs as $i => [$p, $pipes]) {
            $out = (string) stream_get_contents($pipes[1]);
            $err = (string) stream_get_contents($pipes[2]);
            fclose($pipes[1]);
            fclose($pipes[2]);
            $this->assertSame(0, proc_close($p), "worker $i failed: $err$out");
            $this->assertNoSecret($out . $err, "worker $i output");
            $line = json_decode(trim($out), true);
            $this->assertSame([], $line['errors'], "worker $i");
            $calls += $line['calls'];
        }
        foreach (glob($dir . '/{,.}*', GLOB_BRACE) ?: [] as $f) {
            if (is_file($f)) {
                unlink($f);
            }
        }
        rmdir($dir);
        $stats = Mock::stats();
        fwrite(STDERR, sprintf("\n20 processes, %d calls, %d token requests (%d due)\n", $calls, $stats['token_requests'], count($schedule)));
        $this->assertSame(count($schedule), $stats['token_requests'], 'exactly one token request per lifetime');
        $this->assertSame(1, $stats['grants']['password']);
        $this->assertSame(count($schedule) - 1, $stats['grants']['refresh_token']);
    }
}
