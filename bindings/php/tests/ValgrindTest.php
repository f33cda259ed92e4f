<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/** smoke.php under valgrind (USE_ZEND_ALLOC=0): no definite or indirect leak. */
final class ValgrindTest extends TestCase
{
    public function testSmokeLeaksNothing(): void
    {
        $valgrind = trim((string) shell_exec('command -v valgrind'));
        $this->assertNotSame('', $valgrind, 'valgrind is required (test.sh installs it)');
        $log = tempnam(sys_get_temp_dir(), 'tpauth-vg-');
        $cmd = [$valgrind, '--leak-check=full', '--show-leak-kinds=definite,indirect',
            '--errors-for-leak-kinds=definite,indirect', '--error-exitcode=97', '--log-file=' . $log,
            PHP_BINARY, '-n', '-d', 'extension=ffi', '-d', 'ffi.enable=true', __DIR__ . '/smoke.php', (string) Mock::port()];
        $env = getenv() + [];
        $env['USE_ZEND_ALLOC'] = '0';
        $env['ZEND_DONT_UNLOAD_MODULES'] = '1';
        $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        $out = (string) stream_get_contents($pipes[1]);
        $err = (string) stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $code = proc_close($proc);
        $report = (string) file_get_contents($log);
        unlink($log);
        $this->assertStringContainsString('smoke ok', $out, $err . $report);
        $this->assertMatchesRegularExpression('/definitely lost: 0 bytes|no leaks are possible/', $report, $report);
        $this->assertMatchesRegularExpression('/indirectly lost: 0 bytes|no leaks are possible/', $report, $report);
        $this->assertSame(0, $code, "valgrind reported errors:\n" . $report);
    }
}
