<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\Auth;
use Tpauth\InvalidArgumentException;
use Tpauth\Status;
use Tpauth\Token;

/** null, NUL bytes, wrong types, unknown options and bad values: errors, never crashes, nothing sent. */
final class BadInputTest extends TestCase
{
    private function invalid(callable $fn): InvalidArgumentException
    {
        $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, $fn);
        \assert($e instanceof InvalidArgumentException);
        return $e;
    }

    public function testNullWhereAValueIsRequired(): void
    {
        $auth = $this->passwordAuth();
        $cases = [
            'apiKey' => fn () => new Auth(null, Mock::SECRET),
            'apiSecret' => fn () => new Auth(Mock::KEY, null),
            'username' => fn () => $auth->passwordGrant(null, Mock::PASSWORD),
            'password' => fn () => $auth->passwordGrant(Mock::USER, null),
            'code' => fn () => $auth->authorizationCodeGrant(null, 'https://a.example/cb'),
            'redirectUri' => fn () => $auth->authorizationCodeGrant('c', null),
            'accessToken' => fn () => $auth->invalidateToken(null),
            'token' => fn () => $auth->setToken(null),
            'authorize redirectUri' => fn () => $auth->authorizeUrl(null),
            'responseType' => fn () => $auth->authorizeUrl('https://a.example/cb', null),
            'redirectUrl' => fn () => Auth::parseCodeRedirect(null),
            'implicit redirectUrl' => fn () => Auth::parseImplicitRedirect(null),
            'method' => fn () => $auth->request(null, '/v1/x'),
            'urlOrPath' => fn () => $auth->request('GET', null),
            'json' => fn () => Token::fromJson(null),
        ];
        foreach ($cases as $name => $fn) {
            $e = $this->invalid($fn);
            $this->assertStringContainsString('null', $e->getMessage(), $name);
        }
        $stats = Mock::stats();
        $this->assertSame(0, $stats['token_requests']);
        $this->assertSame(0, $stats['api_requests']);
    }

    public function testNulBytesAreRefusedNotTruncated(): void
    {
        $auth = $this->auth();
        $this->invalid(fn () => $auth->passwordGrant(Mock::USER, Mock::PASSWORD . "\0tail"));
        $this->invalid(fn () => $auth->passwordGrant(Mock::USER . "\0", Mock::PASSWORD));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET . "\0x"));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['user_agent' => "a\0b"]));
        $this->invalid(fn () => $auth->request('GET', '/v1/x', "a\0b"));
        $this->assertSame(0, Mock::tokenRequests());
    }

    public function testUnknownOptionAndBadValues(): void
    {
        $e = $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['api_base' => 'http://127.0.0.1:1']));
        $this->assertStringContainsString('api_base', $e->getMessage());
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['timeout_ms' => 'soon']));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['timeout_ms' => -1]));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['grant' => 'magic']));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['client_auth' => 'digest']));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['api_base_url' => 'ftp://x']));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['allow_insecure_http' => 'maybe']));
        $this->invalid(fn () => new Auth('', Mock::SECRET));
    }

    public function testOptionValuesOfTheWrongType(): void
    {
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['username' => ['a']]));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['username' => new \stdClass()]));
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['timeout_ms' => 1.5]));
        // a list instead of a map
        $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['api_base_url']));
    }

    public function testOptionValuesAreConverted(): void
    {
        // bools → "true"/"false", ints → decimal strings, null → default, Stringable → string
        $url = new class (Mock::url()) implements \Stringable {
            public function __construct(private string $u)
            {
            }

            public function __toString(): string
            {
                return $this->u;
            }
        };
        $auth = new Auth(Mock::KEY, Mock::SECRET, [
            'api_base_url' => $url, 'allow_insecure_http' => true, 'timeout_ms' => 5000,
            'max_retries' => 0, 'proxy' => null, 'username' => Mock::USER, 'password' => Mock::PASSWORD,
        ]);
        $this->assertSame(200, $auth->request('GET', '/v1/private/x')->status);
        // false really is false: plain http is then refused before anything is sent
        $e = $this->invalid(fn () => new Auth(Mock::KEY, Mock::SECRET, ['api_base_url' => Mock::url(), 'allow_insecure_http' => false]));
        $this->assertStringContainsString('http', $e->getMessage());
        $this->assertSame(1, Mock::tokenRequests());
    }

    public function testWrongTypesAreTypeErrors(): void
    {
        $auth = $this->auth();
        $cases = [
            fn () => $auth->passwordGrant(['user'], Mock::PASSWORD),
            fn () => $auth->passwordGrant(Mock::USER, new \stdClass()),
            fn () => new Auth(Mock::KEY, Mock::SECRET, 'api_base_url=x'),
            fn () => $auth->setToken('a token'),
            fn () => $auth->request('GET', ['/v1']),
            fn () => Token::fromJson(['access_token' => 'x']),
        ];
        foreach ($cases as $i => $fn) {
            try {
                $fn();
                $this->fail("case $i: no error");
            } catch (\TypeError $e) {
                $this->assertNoSecret((string) $e);
            }
        }
    }

    public function testBrowserFlowArguments(): void
    {
        $auth = $this->auth();
        $e = $this->invalid(fn () => $auth->authorizeUrl('http://app.example.com/cb'));
        $this->assertStringContainsString('https', $e->getMessage());
        $this->invalid(fn () => $auth->authorizeUrl('https://app.example.com/cb', 'id_token'));
        $this->invalid(fn () => $auth->authorizeUrl('not a url'));
        $this->invalid(fn () => $auth->authorizationCodeGrant('c0de', 'http://app.example.com/cb'));
        $this->invalid(fn () => Auth::parseCodeRedirect('https://app.example.com/cb?state=s', 's'));
        $this->invalid(fn () => Auth::parseCodeRedirect('::not a url::'));
        $this->invalid(fn () => Auth::parseImplicitRedirect('https://app.example.com/cb#state=s', 's'));
        $this->assertSame(0, Mock::tokenRequests());
    }

    public function testRequestArguments(): void
    {
        $auth = $this->passwordAuth();
        $this->invalid(fn () => $auth->request('GET', 'http://example.com/v1/x'));
        $this->invalid(fn () => $auth->request("GE\nT", '/v1/x'));
    }
}
