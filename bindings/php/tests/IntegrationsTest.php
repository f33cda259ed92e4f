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

    /** Every spelling that names $hp to some reader (WHATWG fetch reads http:H:P/x as http://H:P/x). */
    private static function foreignForms(string $hp): array
    {
        return ["http:{$hp}/x", "http:/{$hp}/x", "HTTP:{$hp}/x", "https:{$hp}/x", "https:/{$hp}/x",
            "//{$hp}/x", "/\\{$hp}/x", "\\\\{$hp}\\x", "http://evil.example\\@{$hp}/x"];
    }

    /** How many connections reached $server (its backlog, taken without waiting). */
    private static function connectionsTo($server): int
    {
        $n = 0;
        while (($c = @stream_socket_accept($server, 0)) !== false) {
            fclose($c);
            $n++;
        }
        return $n;
    }

    public function testAdaptersSendNothingToAHostNamedByAnySpelling(): void
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $errstr);
        $this->assertNotFalse($server, $errstr);
        $hp = stream_socket_get_name($server, false);
        $auth = $this->passwordAuth();
        foreach (self::foreignForms($hp) as $form) {
            // The core refuses each spelling itself, whatever an HTTP stack would make of it.
            $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT,
                fn () => $auth->prepareApiCall('GET', $form));
            $this->assertStringContainsString('url_or_path', $e->getMessage());
            // Guzzle resolves some spellings against base_uri into a path of the API host (sent
            // there: harmless); the middleware refuses the rest. Nothing reaches the other host.
            $stack = HandlerStack::create();
            $stack->push(new Middleware($auth));
            $bare = new Client(['handler' => $stack, 'timeout' => 2, 'http_errors' => false]);
            foreach ([$this->guzzle($auth, ['timeout' => 2, 'http_errors' => false]), $bare] as $client) {
                try {
                    $this->assertSame(200, $client->get($form)->getStatusCode(), "$form was sent, not to the API");
                } catch (InvalidArgumentException|\GuzzleHttp\Exception\GuzzleException|\InvalidArgumentException) {
                }
            }
            $psr18 = new AuthenticatingClient(new Client(['http_errors' => false, 'timeout' => 2]), $auth);
            try {
                $this->assertSame(200, $psr18->sendRequest(new Request('GET', $form))->getStatusCode(), "$form was sent, not to the API");
            } catch (RequestException|\Psr\Http\Client\ClientExceptionInterface|\InvalidArgumentException) {
            }
        }
        $this->assertSame(0, self::connectionsTo($server), 'a connection reached the foreign host');
        fclose($server);
    }

    public function testAdaptersSendToTheUrlTheCoreJudged(): void
    {
        $auth = $this->passwordAuth(['business_user_id' => 'bu-3']);
        $call = $auth->prepareApiCall('GET', 'v1/relative', ['Accept']);
        $this->assertSame(Mock::url('/v1/relative'), $call['url']);
        $this->assertSame(['Authorization', 'apikey', 'x-business-user-id'], array_keys($call['headers']));
        $this->assertSame('Bearer ' . $call['accessToken'], $call['headers']['Authorization']);
        $this->assertSame(['Authorization', 'apikey'], array_keys($auth->prepareApiCall('GET', '/v1/x', ['X-Business-User-ID'])['headers']));
        // A PSR-18 request whose URI is a path goes to api_base_url, as the core joined it.
        $client = new AuthenticatingClient(new Client(['http_errors' => false]), $auth);
        $r = $client->sendRequest(new Request('GET', '/v1/joined?a=b', ['x-business-user-id' => 'mine']));
        $this->assertSame(200, $r->getStatusCode());
        $sent = Mock::lastApiRequest();
        $this->assertSame('/v1/joined', json_decode((string) $r->getBody(), true)['path']);
        $this->assertSame('mine', Mock::headerOf($sent, 'x-business-user-id'));
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
