<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\Log;

final class LogTest extends TestCase
{
    protected function tearDown(): void
    {
        Log::setHandler(null);
    }

    public function testHandlerSeesEventsWithoutSecrets(): void
    {
        $seen = [];
        Log::setHandler(function (int $level, string $message) use (&$seen): void {
            $seen[] = [$level, $message];
        });
        $auth = $this->passwordAuth();
        $t = $auth->getToken();
        $this->remember($t->accessToken, $t->refreshToken);
        Mock::expire();
        $this->assertSame(200, $auth->request('GET', '/v1/private/x')->status);
        $t2 = $auth->getToken();
        $this->remember($t2->accessToken, $t2->refreshToken);

        $this->assertNotEmpty($seen);
        $text = implode("\n", array_column($seen, 1));
        $this->assertStringContainsString('401', $text, 'the renewal after a 401 is reported');
        foreach ($seen as [$level, $message]) {
            $this->assertContains($level, [Log::ERROR, Log::WARN, Log::INFO, Log::DEBUG]);
            $this->assertIsString($message);
        }
        $this->assertNoSecret($text, 'log');

        // removed: nothing more arrives
        Log::setHandler(null);
        $count = count($seen);
        $auth->invalidateToken($t2->accessToken);
        $auth->getToken();
        $this->assertCount($count, $seen);
    }

    public function testAThrowingHandlerDoesNotBreakTheCall(): void
    {
        Log::setHandler(function (): void {
            throw new \RuntimeException('logger failed');
        });
        $this->assertSame(200, $this->passwordAuth()->request('GET', '/v1/private/x')->status);
    }
}
