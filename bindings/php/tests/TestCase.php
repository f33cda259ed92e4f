<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\Auth;

abstract class TestCase extends \PHPUnit\Framework\TestCase
{
    /** @var list<string> secrets seen in this test; no message, trace or dump may show them */
    protected array $secrets = [Mock::SECRET, Mock::PASSWORD];

    protected function setUp(): void
    {
        Mock::reset();
    }

    /** @param array<string, mixed> $options */
    protected function auth(array $options = [], string $key = Mock::KEY, string $secret = Mock::SECRET): Auth
    {
        return new Auth($key, $secret, Mock::options($options));
    }

    /** A client whose managed token uses the password grant. */
    protected function passwordAuth(array $options = []): Auth
    {
        return $this->auth(['username' => Mock::USER, 'password' => Mock::PASSWORD] + $options);
    }

    protected function remember(?string ...$secrets): void
    {
        foreach ($secrets as $s) {
            if ($s !== null && $s !== '') {
                $this->secrets[] = $s;
            }
        }
    }

    protected function assertNoSecret(string $text, string $what = 'text'): void
    {
        foreach ($this->secrets as $s) {
            $this->assertStringNotContainsString($s, $text, "$what shows a secret");
            // uncaught-exception traces cut string arguments at 15 characters
            $this->assertStringNotContainsString(substr($s, 0, 12), $text, "$what shows a secret's prefix");
        }
    }

    /** Asserts that `$fn` throws `$class` with `$status`, and that nothing in it leaks a secret. */
    protected function assertThrowsTpauth(string $class, int $status, callable $fn): \Tpauth\Exception
    {
        try {
            $fn();
        } catch (\Tpauth\Exception $e) {
            $this->assertInstanceOf($class, $e, 'got ' . get_class($e) . ': ' . $e->getMessage());
            $this->assertSame($status, $e->getStatus());
            $this->assertSame($status, $e->getCode());
            $this->assertNotSame('', $e->getMessage());
            $this->assertNoSecret($e->getMessage(), 'message');
            $this->assertNoSecret((string) $e, 'exception string');
            $this->assertNoSecret($e->getTraceAsString(), 'trace');
            foreach ($e->getTrace() as $frame) {
                // the library's own frames must not hold a secret as a plain argument
                $class = $frame['class'] ?? '';
                if (str_starts_with($class, 'Tpauth\\') && !str_starts_with($class, 'Tpauth\\Tests\\')) {
                    foreach ($frame['args'] ?? [] as $arg) {
                        if (is_string($arg)) {
                            $this->assertNoSecret($arg, "argument of {$class}::{$frame['function']}");
                        }
                    }
                }
            }
            return $e;
        }
        $this->fail("expected $class");
    }

    /** Follows the mock's authorize page for `$url` and returns the Location it redirects to. */
    protected function browse(string $url): string
    {
        $r = Mock::http('GET', $url);
        $this->assertSame(302, $r['status'], 'authorize page: ' . $r['body']);
        return $r['headers']['location'];
    }
}
