<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/**
 * The legacy PHP-FPM deployment, for real: a php-fpm master (root) with four workers (nobody),
 * ffi.enable=preload + ffi.preload + opcache.preload as the README configures them, the
 * TRUSTPILOT_* variables passed by the pool (env[...], clear_env on), and 20 FastCGI requests at
 * once, each doing Auth::fromEnv(): one token request between them.
 */
final class FpmTest extends TestCase
{
    private string $dir;
    /** @var resource|null */
    private $fpm = null;

    protected function setUp(): void
    {
        parent::setUp();
        $this->dir = sys_get_temp_dir() . '/tpauth-php-fpm-' . bin2hex(random_bytes(4));
        mkdir($this->dir . '/cache', 0777, true);
        chmod($this->dir, 0755);
        // The workers run as nobody: the cache folder is theirs alone (a folder others may write to
        // is refused by the file cache unless it is sticky).
        chown($this->dir . '/cache', 'nobody');
        chmod($this->dir . '/cache', 0700);
    }

    protected function tearDown(): void
    {
        if ($this->fpm !== null) {
            $status = proc_get_status($this->fpm);
            if ($status['running']) {
                posix_kill($status['pid'], SIGQUIT);
            }
            proc_close($this->fpm);
        }
        if (getenv('TPAUTH_KEEP_FPM_DIR') === false) {
            shell_exec('rm -rf ' . escapeshellarg($this->dir));
        }
    }

    private static function fpmBinary(): string
    {
        $v = PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION;
        foreach (["/usr/sbin/php-fpm$v", '/usr/sbin/php-fpm', "/usr/bin/php-fpm$v"] as $bin) {
            if (is_executable($bin)) {
                return $bin;
            }
        }
        return '';
    }

    /** Starts php-fpm (root master, 4 nobody workers, the README's ini) and returns its socket. */
    private function startFpm(array $poolEnv): string
    {
        $bin = self::fpmBinary();
        $this->assertNotSame('', $bin, 'php-fpm is required (test.sh installs it)');
        $this->assertSame(0, posix_geteuid(), 'the FPM test runs php-fpm as root with nobody workers');

        $header = $this->dir . '/tpauth-ffi.h';
        $w = proc_open([PHP_BINARY, '-d', 'ffi.enable=true', dirname(__DIR__) . '/preload.php', '--write-header', $header], [], $pipes);
        $this->assertSame(0, proc_close($w));
        chmod($header, 0644);

        $socket = $this->dir . '/fpm.sock';
        $env = '';
        foreach ($poolEnv as $k => $v) {
            $env .= "env[$k] = \"$v\"\n";
        }
        file_put_contents($this->dir . '/fpm.conf', <<<CONF
[global]
error_log = {$this->dir}/fpm.log
daemonize = no

[tpauth]
user = nobody
group = nogroup
listen = $socket
listen.mode = 0666
pm = static
pm.max_children = 4
clear_env = yes
catch_workers_output = yes
$env
CONF);
        $ini = [
            'extension=ffi', 'zend_extension=opcache',
            'ffi.enable=preload', 'ffi.preload=' . $header,
            'opcache.enable=1', 'opcache.preload=' . dirname(__DIR__) . '/preload.php', 'opcache.preload_user=nobody',
        ];
        $cmd = [$bin, '-n', '-F', '-y', $this->dir . '/fpm.conf'];
        foreach ($ini as $d) {
            array_push($cmd, '-d', $d);
        }
        $this->fpm = proc_open($cmd, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->dir . '/fpm.out', 'w'], 2 => ['file', $this->dir . '/fpm.out', 'a']], $pipes);
        for ($i = 0; $i < 100 && !file_exists($socket); $i++) {
            usleep(50000);
        }
        $this->assertFileExists($socket, 'php-fpm did not start: ' . @file_get_contents($this->dir . '/fpm.out') . @file_get_contents($this->dir . '/fpm.log'));
        return $socket;
    }

    /**
     * Sends `$n` requests at once to fpm_request.php; returns each answer's JSON.
     *
     * @param array<string, string> $extraParams
     * @return list<array<string, mixed>>
     */
    private function requests(string $socket, int $n, array $extraParams = []): array
    {
        $script = __DIR__ . '/fpm_request.php';
        $params = ['SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => '/fpm_request.php', 'REQUEST_URI' => '/fpm_request.php',
            'REQUEST_METHOD' => 'GET', 'QUERY_STRING' => '', 'SERVER_PROTOCOL' => 'HTTP/1.1', 'GATEWAY_INTERFACE' => 'CGI/1.1',
            'SERVER_SOFTWARE' => 'tpauth-test', 'REMOTE_ADDR' => '127.0.0.1', 'SERVER_NAME' => 'localhost', 'SERVER_PORT' => '80',
            'CONTENT_LENGTH' => '0'] + $extraParams;
        $conns = [];
        for ($i = 0; $i < $n; $i++) {
            $conns[] = FastCgi::send('unix://' . $socket, $params);
        }
        $lines = [];
        foreach ($conns as $i => $c) {
            $r = FastCgi::read($c);
            $line = json_decode($r['body'], true);
            $this->assertIsArray($line, "request $i: {$r['headers']}\n{$r['body']}\n{$r['stderr']}");
            $this->assertArrayNotHasKey('error', $line, (string) ($line['error'] ?? ''));
            $this->assertSame(200, $line['status']);
            $this->assertTrue($line['cdef_refused'], 'ffi.enable=preload: request code cannot FFI::cdef, so the preloaded scope served it');
            $this->assertTrue($line['preloaded'], 'opcache.preload compiled the Tpauth classes');
            $this->assertNoSecret($r['body'] . $r['stderr'], "request $i");
            $lines[] = $line;
        }
        return $lines;
    }

    public function testTwentyRequestsAcrossWorkersShareOneToken(): void
    {
        $socket = $this->startFpm(Mock::env(['TRUSTPILOT_TOKEN_CACHE' => $this->dir . '/cache/trustpilot.token']));
        $lines = $this->requests($socket, 20);
        $tokens = array_column($lines, 'token');
        $pids = array_unique(array_column($lines, 'pid'));
        $this->assertCount(1, array_unique($tokens), 'every request used the same token');
        $this->assertGreaterThan(1, count($pids), 'several workers served the requests');
        $stats = Mock::stats();
        $this->assertSame(1, $stats['token_requests'], 'one token request for 20 requests on ' . count($pids) . ' workers');
        $this->assertSame(20, $stats['api_requests']);
        $this->assertSame(0600, fileperms($this->dir . '/cache/trustpilot.token') & 0777);
    }

    public function testVariablesFromTheWebServerOnly(): void
    {
        // nginx `fastcgi_param TRUSTPILOT_...` / Apache SetEnv: getenv() sees them, the process
        // environment does not; Auth::fromEnv() must still find them.
        $socket = $this->startFpm([]);
        $lines = $this->requests($socket, 8, Mock::env(['TRUSTPILOT_TOKEN_CACHE' => $this->dir . '/cache/trustpilot.token']));
        $this->assertCount(1, array_unique(array_column($lines, 'token')));
        $this->assertSame(1, Mock::tokenRequests());
    }
}
