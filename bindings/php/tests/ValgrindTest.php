<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/**
 * smoke.php under valgrind with USE_ZEND_ALLOC=0 (PHP's allocator off, so valgrind sees every
 * block): no definite or indirect leak, no memory error.
 *
 * libtpauth is also LD_PRELOADed: PHP's FFI dlclose()s the library at shutdown, which unmaps its
 * statics (its process-lifetime caches), so that whatever they own would show as "definitely
 * lost" without any leak. Preloaded, the library stays mapped and valgrind classifies those blocks
 * correctly, while a real leak (an unfreed handle or string) is still definitely lost: the
 * control run, which skips one tp_string_free, proves it. PCRE's JIT is off (valgrind cannot see
 * through JIT code and reports uninitialised reads in it).
 */
final class ValgrindTest extends TestCase
{
    /** @return array{out: string, report: string, code: int} */
    private function smoke(bool $leak): array
    {
        $valgrind = trim((string) shell_exec('command -v valgrind'));
        $this->assertNotSame('', $valgrind, 'valgrind is required (test.sh installs it)');
        $lib = (string) getenv('TPAUTH_LIB');
        $this->assertFileExists($lib);
        $log = tempnam(sys_get_temp_dir(), 'tpauth-vg-');
        $cmd = [$valgrind, '--leak-check=full', '--show-leak-kinds=definite,indirect',
            '--errors-for-leak-kinds=definite,indirect', '--error-exitcode=97', '--num-callers=30', '--log-file=' . $log,
            PHP_BINARY, '-n', '-d', 'extension=ffi', '-d', 'ffi.enable=true', '-d', 'pcre.jit=0',
            __DIR__ . '/smoke.php', (string) Mock::port()];
        $env = getenv();
        $env['USE_ZEND_ALLOC'] = '0';
        $env['ZEND_DONT_UNLOAD_MODULES'] = '1';
        $env['LD_PRELOAD'] = $lib;
        $env['TPAUTH_SMOKE_LEAK'] = $leak ? '1' : '0';
        $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = (string) stream_get_contents($pipes[1]) . (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $code = proc_close($proc);
        $report = (string) file_get_contents($log);
        unlink($log);
        $this->assertStringContainsString('smoke ok', $out, $out . $report);
        $this->assertStringContainsString('LEAK SUMMARY', $report, $report);
        return ['out' => $out, 'report' => $report, 'code' => $code];
    }

    public function testSmokeLeaksNothing(): void
    {
        $r = $this->smoke(false);
        $this->assertMatchesRegularExpression('/definitely lost: 0 bytes/', $r['report'], $r['report']);
        $this->assertMatchesRegularExpression('/indirectly lost: 0 bytes/', $r['report'], $r['report']);
        $this->assertMatchesRegularExpression('/ERROR SUMMARY: 0 errors/', $r['report'], $r['report']);
        $this->assertSame(0, $r['code'], $r['report']);
    }

    public function testTheControlLeakIsCaught(): void
    {
        $r = $this->smoke(true);
        $this->assertMatchesRegularExpression('/definitely lost: [1-9]/', $r['report'], $r['report']);
        $this->assertSame(97, $r['code']);
    }
}
