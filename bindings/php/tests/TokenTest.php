<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\InvalidArgumentException;
use Tpauth\Status;
use Tpauth\Token;

final class TokenTest extends TestCase
{
    private function token(): Token
    {
        $t = $this->auth()->passwordGrant(Mock::USER, Mock::PASSWORD);
        $this->remember($t->accessToken, $t->refreshToken);
        return $t;
    }

    public function testJsonRoundTrip(): void
    {
        $t = $this->token();
        $json = $t->toJson();
        $this->assertIsArray(json_decode($json, true), 'toJson is JSON');
        $u = Token::fromJson($json);
        $this->assertSame($t->accessToken, $u->accessToken);
        $this->assertSame($t->refreshToken, $u->refreshToken);
        $this->assertSame($t->tokenType, $u->tokenType);
        $this->assertSame($t->expiresIn, $u->expiresIn);
        $this->assertSame($t->expiresAt, $u->expiresAt);
        $this->assertSame($t->raw, $u->raw);
        $this->assertSame($json, $u->toJson());
    }

    public function testIsExpiredWithLeeway(): void
    {
        $t = $this->token();
        $this->assertFalse($t->isExpired());
        $this->assertFalse($t->isExpired(359000));
        $this->assertTrue($t->isExpired(360001));

        Mock::config(['expires_in_json' => '"2"']);
        $short = $this->auth()->passwordGrant(Mock::USER, Mock::PASSWORD);
        $this->remember($short->accessToken, $short->refreshToken);
        $this->assertSame(2, $short->expiresIn);
        $this->assertTrue($short->isExpired(5));
        $this->assertTrue(Token::fromJson($short->toJson())->isExpired(5));
    }

    public function testExpiresInAsNumberAndUnknown(): void
    {
        Mock::config(['expires_in_json' => '120']);
        $t = $this->token();
        $this->assertSame(120, $t->expiresIn);
        $this->assertSame(120, $t->raw['expires_in']);

        Mock::config(['expires_in_json' => null]);
        $u = $this->token();
        $this->assertNull($u->expiresIn);
        $this->assertNull($u->expiresAt);
        $this->assertFalse($u->isExpired());
    }

    public function testPropertiesAreReadOnly(): void
    {
        $t = $this->token();
        $this->expectException(\Error::class);
        /** @phpstan-ignore-next-line */
        $t->accessToken = 'x';
    }

    public function testDebugInfoHidesSecrets(): void
    {
        $t = $this->token();
        $info = $t->__debugInfo();
        $this->assertSame('[redacted]', $info['accessToken']);
        $this->assertSame('[redacted]', $info['refreshToken']);
        $this->assertSame('BearerToken', $info['tokenType']);
        $this->assertSame(359999, $info['expiresIn']);
        $this->assertNoSecret(print_r($t, true), 'print_r');
        ob_start();
        var_dump($t);
        $this->assertNoSecret((string) ob_get_clean(), 'var_dump');
    }

    public function testSerializeRefuses(): void
    {
        $t = $this->token();
        try {
            serialize($t);
            $this->fail('serialized a token');
        } catch (\LogicException $e) {
            $this->assertNoSecret($e->getMessage());
        }
    }

    public function testFromJsonRejectsGarbage(): void
    {
        foreach (['not json', '{}', '{"access_token": 5}', ''] as $bad) {
            $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, fn () => Token::fromJson($bad));
        }
    }
}
