<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use GuzzleHttp\Client;
use GuzzleHttp\HandlerStack;
use GuzzleHttp\Promise\CancellationException;
use GuzzleHttp\Psr7\Request;
use Tpauth\Auth;
use Tpauth\Guzzle\Middleware;
use Tpauth\InvalidArgumentException;
use Tpauth\InvalidGrantException;
use Tpauth\Psr18\AuthenticatingClient;
use Tpauth\Psr18\RequestException;
use Tpauth\Status;

/**
 * Guzzle middleware and PSR-18 decorator against the mock (Debian's php-guzzlehttp-guzzle and
 * php-psr-http-client), plus PKCE and scope.
 */
final class IntegrationsTest extends TestCase
{
    private function guzzle(Auth $auth, array $config = []): Client
    {
        $stack = HandlerStack::create();
        $stack->push(new Middleware($auth));
        return new Client(['handler' => $stack, 'base_uri' => Mock::url()] + $config);
    }

    /** Headers of the last API request, and a 401 renewed once and resent. */
    private function assertHeadersAndOneResend(Auth $auth, callable $post): void
    {
        $auth->getToken();
        $first = $post();
        $this->assertSame(200, $first->getStatusCode());
        $sent = Mock::lastApiRequest();
        $this->assertSame('Bearer ' . $auth->getToken()->accessToken, Mock::headerOf($sent, 'authorization'));
        $this->assertSame(Mock::KEY, Mock::headerOf($sent, 'apikey'));
        $this->assertSame('bu-3', Mock::headerOf($sent, 'x-business-user-id'));
        Mock::expire();
        $again = $post();
        $this->assertSame(200, $again->getStatusCode());
        $this->assertSame('hi', json_decode((string) $again->getBody(), true)['body']);
        $s = Mock::stats();
        $this->assertSame([3, 1, 2], [$s['api_requests'], $s['api_401'], $s['token_requests']]);
        $this->assertNotSame('Bearer ' . $auth->getToken()->accessToken, Mock::headerOf($sent, 'authorization'));
    }

    public function testGuzzleMiddlewareHeadersAnd401(): void
    {
        $auth = $this->passwordAuth(['business_user_id' => 'bu-3']);
        $client = $this->guzzle($auth);
        $this->assertHeadersAndOneResend($auth, fn () => $client->post('/v1/private/x', ['body' => 'hi']));
        // Without http_errors the 401 comes as a response: the same single resend.
        $plain = $this->guzzle($auth, ['http_errors' => false]);
        Mock::expire();
        $this->assertSame(200, $plain->post('/v1/private/x', ['body' => 'hi'])->getStatusCode());
        // Two 401s in a row: one resend only, then the 401 goes to the caller.
        Mock::fault(['kind' => '401', 'target' => 'api', 'count' => 2]);
        $this->assertSame(401, $plain->get('/v1/private/x')->getStatusCode());
        $this->assertSame(7, Mock::stats()['api_requests']);
    }

    public function testGuzzleMiddlewareRefusesAForeignHost(): void
    {
        $client = $this->guzzle($this->passwordAuth());
        $before = Mock::stats()['requests'];
        $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT,
            fn () => $client->get('http://localhost:' . Mock::port() . '/v1/private/x'));
        $this->assertStringContainsString('token_hosts', $e->getMessage());
        $this->assertSame($before, Mock::stats()['requests'], 'the foreign host got a request (or a token was fetched)');
    }

    public function testGuzzleMiddlewareCancellation(): void
    {
        $auth = $this->passwordAuth();
        $auth->getToken();
        $curl = new \GuzzleHttp\Handler\CurlMultiHandler();
        $stack = HandlerStack::create($curl);
        $stack->push(new Middleware($auth));
        $client = new Client(['handler' => $stack, 'base_uri' => Mock::url(), 'http_errors' => false]);
        // The API refuses the token: an uncancelled request would renew it and resend.
        Mock::fault(['kind' => '401', 'target' => 'api', 'count' => 1]);
        $promise = $client->getAsync('/v1/private/x');
        $promise->cancel();
        $this->assertSame('rejected', $promise->getState());
        $curl->execute(); // whatever curl still had in flight completes now
        try {
            $promise->wait();
            $this->fail('a cancelled request completed');
        } catch (CancellationException) {
        }
        $s = Mock::stats();
        $this->assertSame(1, $s['token_requests'], 'a cancelled request renewed the token');
        $this->assertLessThanOrEqual(1, $s['api_requests'], 'a cancelled request was resent');
        // The client still works after a cancellation.
        $this->assertSame(200, $client->get('/v1/private/x')->getStatusCode());
    }

    public function testPsr18ClientHeadersAnd401(): void
    {
        $auth = $this->passwordAuth(['business_user_id' => 'bu-3']);
        $client = new AuthenticatingClient(new Client(['http_errors' => false]), $auth);
        $this->assertHeadersAndOneResend($auth, fn () => $client->sendRequest(new Request('POST', Mock::url('/v1/private/x'), [], 'hi')));
    }

    public function testPsr18ClientRefusesAForeignHost(): void
    {
        $client = new AuthenticatingClient(new Client(['http_errors' => false]), $this->passwordAuth());
        $before = Mock::stats()['requests'];
        $request = new Request('GET', 'http://localhost:' . Mock::port() . '/v1/private/x');
        try {
            $client->sendRequest($request);
            $this->fail('the foreign host was not refused');
        } catch (RequestException $e) {
            $this->assertInstanceOf(\Psr\Http\Client\RequestExceptionInterface::class, $e);
            $this->assertSame($request, $e->getRequest());
            $this->assertInstanceOf(InvalidArgumentException::class, $e->getPrevious());
            $this->assertStringContainsString('token_hosts', $e->getMessage());
        }
        $this->assertSame($before, Mock::stats()['requests']);
    }

    public function testPkceAndScope(): void
    {
        $auth = $this->passwordAuth(['scope' => 'read']);
        $pkce = Auth::newPkce();
        $this->remember($pkce['verifier']);
        $this->assertSame(43, strlen($pkce['verifier']));
        $this->assertSame(43, strlen($pkce['challenge']));
        $redirect = 'https://app.example.com/cb';
        $url = $auth->authorizeUrl($redirect, 'code', 'st', $pkce['challenge']);
        $this->assertStringEndsWith('&state=st&scope=read&code_challenge=' . $pkce['challenge'] . '&code_challenge_method=S256', $url);
        $code = Auth::parseCodeRedirect($this->browse($url), 'st');
        $this->assertThrowsTpauth(InvalidGrantException::class, Status::INVALID_GRANT,
            fn () => $auth->authorizationCodeGrant($code, $redirect, Auth::newPkce()['verifier']));
        $code = Auth::parseCodeRedirect($this->browse($url), 'st');
        $auth->authorizationCodeGrant($code, $redirect, $pkce['verifier']);
        $this->assertStringEndsWith('&code_verifier=' . $pkce['verifier'], Mock::lastTokenRequest()['body']);
        $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT,
            fn () => $auth->authorizationCodeGrant('c', $redirect, 'short'));
        $auth->passwordGrant(Mock::USER, Mock::PASSWORD);
        $this->assertStringContainsString('&scope=read', Mock::lastTokenRequest()['body']);
    }
}
