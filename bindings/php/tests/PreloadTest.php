<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/**
 * The PHP-FPM setup in the CLI: ffi.enable=preload, the scope from ffi.preload (the header that
 * `preload.php --write-header` writes) or from preload.php itself, classes from opcache.preload.
 * TPAUTH_LIB and TPAUTH_FFI_HEADER point nowhere in the "request", so only the preloaded scope
 * can serve it.
 */
final class PreloadTest extends TestCase
{
    private string $header;

    protected function setUp(): void
    {
        parent::setUp();
        $this->header = sys_get_temp_dir() . '/tpauth-ffi-' . bin2hex(random_bytes(4)) . '.h';
    }

    protected function tearDown(): void
    {
        @unlink($this->header);
    }

    /** @return array{code: int, out: string, err: string} */
    private function php(array $args, array $env = []): array
    {
        $proc = proc_open(array_merge([PHP_BINARY], $args), [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, array_merge(getenv(), $env));
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        return ['code' => proc_close($proc), 'out' => $out, 'err' => $err];
    }

    private function assertServed(array $r): void
    {
        $this->assertSame(0, $r['code'], $r['out'] . $r['err']);
        $line = json_decode(trim($r['out']), true);
        $this->assertIsArray($line, $r['out'] . $r['err']);
        $this->assertTrue($line['scope'], 'the TPAUTH scope is registered');
        $this->assertSame(200, $line['status']);
        $this->assertSame(\Tpauth\Auth::version(), $line['version']);
    }

    private function requestEnv(): array
    {
        return Mock::env(['TPAUTH_LIB' => '/nonexistent/libtpauth.so', 'TPAUTH_FFI_HEADER' => '/nonexistent/tpauth_ffi.h']);
    }

    public function testWriteHeaderThenFfiPreloadWithOpcachePreloadAsAnotherUser(): void
    {
        $w = $this->php(['-d', 'ffi.enable=true', dirname(__DIR__) . '/preload.php', '--write-header', $this->header]);
        $this->assertSame(0, $w['code'], $w['err']);
        $text = (string) file_get_contents($this->header);
        $this->assertStringStartsWith("#define FFI_SCOPE \"TPAUTH\"\n#define FFI_LIB \"/", $text);
        $this->assertStringContainsString('tp_request(', $text);

        $args = ['-d', 'ffi.enable=preload', '-d', 'ffi.preload=' . $this->header,
            '-d', 'opcache.enable=1', '-d', 'opcache.enable_cli=1', '-d', 'opcache.preload=' . dirname(__DIR__) . '/preload.php'];
        if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
            // as FPM's root master does it: preloading runs as another user, where FFI::load is refused
            array_push($args, '-d', 'opcache.preload_user=root');
        }
        $args[] = __DIR__ . '/preload_check.php';
        $r = $this->php($args, $this->requestEnv());
        $this->assertServed($r);
        $this->assertTrue(json_decode(trim($r['out']), true)['preloaded'], 'the classes were preloaded');
        $this->assertSame(1, Mock::tokenRequests());
    }

    public function testFfiPreloadAlone(): void
    {
        $w = $this->php(['-d', 'ffi.enable=true', dirname(__DIR__) . '/preload.php', '--write-header', $this->header]);
        $this->assertSame(0, $w['code'], $w['err']);
        $r = $this->php(['-d', 'ffi.enable=preload', '-d', 'ffi.preload=' . $this->header, '-d', 'auto_prepend_file='
            . dirname(__DIR__) . '/autoload.php', __DIR__ . '/preload_check.php'], $this->requestEnv());
        $this->assertServed($r);
    }

    public function testPreloadScriptRegistersTheScopeItself(): void
    {
        // preloading without a user switch (a master that is not root): preload.php's FFI::load
        $args = ['-d', 'ffi.enable=preload', '-d', 'opcache.enable=1', '-d', 'opcache.enable_cli=1',
            '-d', 'opcache.preload=' . dirname(__DIR__) . '/preload.php'];
        if (function_exists('posix_geteuid') && posix_geteuid() === 0) {
            $this->assertTrue(true, 'root: covered by the ffi.preload case');
            $r = $this->php(array_merge($args, ['-d', 'opcache.preload_user=root', '-r', 'echo "x";']));
            // FFI::load is refused there: preload.php must warn, not take the server down
            $this->assertSame(0, $r['code'], $r['err']);
            $this->assertStringContainsString('ffi.preload', $r['out'] . $r['err']);
            return;
        }
        $args[] = __DIR__ . '/preload_check.php';
        $this->assertServed($this->php($args, $this->requestEnv()));
    }
}
