<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\AccessDeniedException;
use Tpauth\Auth;
use Tpauth\InvalidArgumentException;
use Tpauth\InvalidGrantException;
use Tpauth\NoTokenException;
use Tpauth\Response;
use Tpauth\StateMismatchException;
use Tpauth\Status;
use Tpauth\Token;

/** Every method of Tpauth\Auth against the mock, checked on the wire. */
final class AuthTest extends TestCase
{
    private const REDIRECT = 'https://app.example.com/callback';

    public function testVersion(): void
    {
        $this->assertMatchesRegularExpression('/^\d+\.\d+\.\d+/', Auth::version());
    }

    public function testPasswordGrantSendsTheSeedsRequest(): void
    {
        $auth = $this->auth();
        $before = time();
        $token = $auth->passwordGrant(Mock::USER, Mock::PASSWORD);
        $this->remember($token->accessToken, $token->refreshToken);

        $this->assertInstanceOf(Token::class, $token);
        $this->assertNotSame('', $token->accessToken);
        $this->assertIsString($token->refreshToken);
        $this->assertSame('BearerToken', $token->tokenType);
        $this->assertSame(359999, $token->expiresIn);
        $this->assertGreaterThanOrEqual($before + 359999, $token->expiresAt);
        $this->assertLessThanOrEqual(time() + 359999, $token->expiresAt);
        $this->assertSame('mock', $token->raw['organization_name']);
        $this->assertSame($token->accessToken, $token->raw['access_token']);
        $this->assertFalse($token->isExpired());

        $req = Mock::lastTokenRequest();
        $this->assertSame('POST', $req['method']);
        $this->assertSame(Mock::TOKEN_PATH, $req['path']);
        $this->assertSame('Basic ' . base64_encode(Mock::KEY . ':' . Mock::SECRET), Mock::headerOf($req, 'authorization'));
        $this->assertStringStartsWith('application/x-www-form-urlencoded', (string) Mock::headerOf($req, 'content-type'));
        $this->assertSame('grant_type=password&username=user%40example.com&password=mock-password', $req['body']);
        $this->assertSame(1, Mock::tokenRequests());
    }

    public function testPasswordWithReservedAndNonAsciiCharactersIsEscaped(): void
    {
        $password = "p&ss=w+rd %20 ü/?#";
        $this->remember($password);
        Mock::config(['password' => $password]);
        $token = $this->auth()->passwordGrant(Mock::USER, $password);
        $this->assertNotSame('', $token->accessToken);
        $this->assertSame('grant_type=password&username=user%40example.com&password=' . rawurlencode($password),
            Mock::lastTokenRequest()['body']);
    }

    public function testWrongPasswordIsInvalidGrant(): void
    {
        $this->remember('not-the-password-123');
        $e = $this->assertThrowsTpauth(InvalidGrantException::class, Status::INVALID_GRANT,
            fn () => $this->auth()->passwordGrant(Mock::USER, 'not-the-password-123'));
        $this->assertSame(400, $e->getHttpStatus());
        $this->assertSame('invalid_grant', $e->getOAuthCode());
        $this->assertNull($e->getRetryAfter());
    }

    public function testClientAuthOptions(): void
    {
        $this->auth(['client_auth' => 'post'])->passwordGrant(Mock::USER, Mock::PASSWORD);
        $req = Mock::lastTokenRequest();
        $this->assertNull(Mock::headerOf($req, 'authorization'));
        $this->assertStringContainsString('client_id=mock-api-key', $req['body']);
        $this->assertStringContainsString('client_secret=mock-api-secret', $req['body']);
    }

    public function testClientCredentialsGrantAndBusinessUserHeader(): void
    {
        $auth = $this->auth(['business_user_id' => 'mock-business-user-id']);
        $token = $auth->clientCredentialsGrant();
        $this->assertNotSame('', $token->accessToken);
        $this->assertNull($token->refreshToken);
        $this->assertSame('grant_type=client_credentials', Mock::lastTokenRequest()['body']);

        $resp = $auth->request('GET', '/v1/private/business-units/abc/reviews');
        $this->assertSame(200, $resp->status);
        $this->assertSame('mock-business-user-id', $resp->json()['business_user_id']);
        $this->assertSame('mock-business-user-id', Mock::headerOf(Mock::lastApiRequest(), 'x-business-user-id'));
        $this->assertSame(1, Mock::tokenRequests(), 'the grant\'s token is the current one');
    }

    public function testAuthorizeUrl(): void
    {
        $auth = $this->auth();
        $url = $auth->authorizeUrl(self::REDIRECT, 'code', 'st4te');
        $this->assertSame(Mock::url('/authenticate') . '?client_id=mock-api-key&redirect_uri='
            . rawurlencode(self::REDIRECT) . '&response_type=code&state=st4te', $url);
        $noState = $auth->authorizeUrl(self::REDIRECT);
        $this->assertStringContainsString('response_type=code', $noState);
        $this->assertStringNotContainsString('state=', $noState);
        $this->assertStringContainsString('response_type=token', $auth->authorizeUrl(self::REDIRECT, 'token'));
    }

    public function testNewState(): void
    {
        $a = Auth::newState();
        $b = Auth::newState();
        $this->assertMatchesRegularExpression('/^[A-Za-z0-9_-]{22,}$/', $a);
        $this->assertNotSame($a, $b);
    }

    public function testAuthorizationCodeFlow(): void
    {
        $auth = $this->auth();
        $state = Auth::newState();
        $location = $this->browse($auth->authorizeUrl(self::REDIRECT, 'code', $state));
        $this->assertStringStartsWith(self::REDIRECT . '?', $location);
        $code = Auth::parseCodeRedirect($location, $state);
        $this->assertNotSame('', $code);
        $this->assertSame($code, Auth::parseCodeRedirect($location), 'null expected state: not checked');

        $token = $auth->authorizationCodeGrant($code, self::REDIRECT);
        $this->remember($token->accessToken, $token->refreshToken, $code);
        $this->assertNotSame('', $token->accessToken);
        $this->assertSame('grant_type=authorization_code&code=' . rawurlencode($code) . '&redirect_uri='
            . rawurlencode(self::REDIRECT), Mock::lastTokenRequest()['body']);
        $this->assertSame(200, $auth->request('GET', '/v1/private/x')->status);
        $this->assertSame(1, Mock::tokenRequests());

        // a used code
        $this->assertThrowsTpauth(InvalidGrantException::class, Status::INVALID_GRANT,
            fn () => $auth->authorizationCodeGrant($code, self::REDIRECT));
    }

    public function testCodeRedirectStateMismatchAndDenial(): void
    {
        $this->assertThrowsTpauth(StateMismatchException::class, Status::STATE_MISMATCH,
            fn () => Auth::parseCodeRedirect(self::REDIRECT . '?code=abc&state=theirs', 'mine'));

        Mock::config(['deny' => true]);
        $location = $this->browse($this->auth()->authorizeUrl(self::REDIRECT, 'code', 's1'));
        $this->assertStringContainsString('error=access_denied', $location);
        $this->assertThrowsTpauth(AccessDeniedException::class, Status::ACCESS_DENIED,
            fn () => Auth::parseCodeRedirect($location, 's1'));
    }

    public function testImplicitFlow(): void
    {
        $auth = $this->auth(['grant' => 'none']);
        $state = Auth::newState();
        $location = $this->browse($auth->authorizeUrl(self::REDIRECT, 'token', $state));
        $this->assertStringContainsString('#access_token=', $location);
        $token = Auth::parseImplicitRedirect($location, $state);
        $this->remember($token->accessToken);
        $this->assertNotSame('', $token->accessToken);
        $this->assertNull($token->refreshToken);
        $this->assertSame(359999, $token->expiresIn);

        $auth->setToken($token);
        $resp = $auth->request('GET', '/v1/private/business-units/1');
        $this->assertSame(200, $resp->status);
        $this->assertSame('Bearer ' . $token->accessToken, Mock::headerOf(Mock::lastApiRequest(), 'authorization'));
        $this->assertSame(0, Mock::tokenRequests());

        $this->assertThrowsTpauth(StateMismatchException::class, Status::STATE_MISMATCH,
            fn () => Auth::parseImplicitRedirect($location, 'another-state'));
    }

    public function testRefreshCurrentAndExplicitAndRotation(): void
    {
        $auth = $this->auth();
        $first = $auth->passwordGrant(Mock::USER, Mock::PASSWORD);
        $second = $auth->refresh();
        $this->remember($first->accessToken, $first->refreshToken, $second->accessToken, $second->refreshToken);
        $req = Mock::lastTokenRequest();
        $this->assertSame(Mock::REFRESH_PATH, $req['path']);
        $this->assertSame('grant_type=refresh_token&refresh_token=' . rawurlencode((string) $first->refreshToken), $req['body']);
        $this->assertNotSame($first->accessToken, $second->accessToken);
        $this->assertNotSame($first->refreshToken, $second->refreshToken, 'the mock rotates refresh tokens');

        // the rotated-away refresh token is refused
        $this->assertThrowsTpauth(InvalidGrantException::class, Status::INVALID_GRANT,
            fn () => $auth->refresh($first->refreshToken));
        // the current one is accepted explicitly
        $third = $auth->refresh($second->refreshToken);
        $this->remember($third->accessToken, $third->refreshToken);
        $this->assertSame('grant_type=refresh_token&refresh_token=' . rawurlencode((string) $second->refreshToken),
            Mock::lastTokenRequest()['body']);
    }

    public function testRefreshEndpointOption(): void
    {
        $auth = $this->auth(['refresh_endpoint' => 'accesstoken']);
        $auth->passwordGrant(Mock::USER, Mock::PASSWORD);
        $auth->refresh();
        $this->assertSame(Mock::TOKEN_PATH, Mock::lastTokenRequest()['path']);
    }

    public function testRevoke(): void
    {
        $auth = $this->auth(['grant' => 'none']);
        $token = $auth->passwordGrant(Mock::USER, Mock::PASSWORD);
        $this->remember($token->accessToken, $token->refreshToken);
        $auth->revoke();
        $req = Mock::lastTokenRequest();
        $this->assertSame(Mock::REVOKE_PATH, $req['path']);
        $this->assertSame('token=' . rawurlencode((string) $token->refreshToken), $req['body']);
        $this->assertSame(1, Mock::stats()['revoke_requests']);
        $this->assertThrowsTpauth(InvalidGrantException::class, Status::INVALID_GRANT,
            fn () => $auth->refresh($token->refreshToken));

        // explicit refresh token
        $other = $this->auth()->passwordGrant(Mock::USER, Mock::PASSWORD);
        $auth->revoke($other->refreshToken);
        $this->assertSame('token=' . rawurlencode((string) $other->refreshToken), Mock::lastTokenRequest()['body']);
    }

    public function testNothingToRefreshOrRevoke(): void
    {
        $auth = $this->auth(['grant' => 'none']);
        $this->assertThrowsTpauth(NoTokenException::class, Status::NO_TOKEN, fn () => $auth->refresh());
        $this->assertThrowsTpauth(NoTokenException::class, Status::NO_TOKEN, fn () => $auth->revoke());
        $this->assertThrowsTpauth(NoTokenException::class, Status::NO_TOKEN, fn () => $auth->getToken());
        $this->assertSame(0, Mock::tokenRequests());
    }

    public function testGetTokenIsManagedAndInvalidateRenews(): void
    {
        $auth = $this->passwordAuth();
        $a = $auth->getToken();
        $b = $auth->getToken();
        $this->remember($a->accessToken, $a->refreshToken);
        $this->assertSame($a->accessToken, $b->accessToken);
        $this->assertSame(1, Mock::tokenRequests());
        $this->assertSame(1, Mock::stats()['grants']['password']);

        $auth->invalidateToken($a->accessToken);
        $c = $auth->getToken();
        $this->remember($c->accessToken, $c->refreshToken);
        $this->assertNotSame($a->accessToken, $c->accessToken);
        $this->assertSame(2, Mock::tokenRequests());

        // invalidating a token that is no longer current changes nothing
        $auth->invalidateToken($a->accessToken);
        $this->assertSame($c->accessToken, $auth->getToken()->accessToken);
        $this->assertSame(2, Mock::tokenRequests());
    }

    public function testSetTokenRestoredFromJson(): void
    {
        $saved = $this->auth()->passwordGrant(Mock::USER, Mock::PASSWORD)->toJson();
        $restored = Token::fromJson($saved);
        $this->remember($restored->accessToken, $restored->refreshToken);
        $before = Mock::tokenRequests();

        $auth = $this->auth(['grant' => 'none']);
        $auth->setToken($restored);
        $this->assertSame($restored->accessToken, $auth->getToken()->accessToken);
        $this->assertSame(200, $auth->request('GET', '/v1/private/a')->status);
        $this->assertSame($before, Mock::tokenRequests());
    }

    public function testRequestGetSendsBearerAndApiKey(): void
    {
        $auth = $this->passwordAuth();
        $resp = $auth->request('GET', '/v1/private/business-units/42/reviews?page=2');
        $this->assertInstanceOf(Response::class, $resp);
        $this->assertSame(200, $resp->status);
        $echo = $resp->json();
        $this->assertSame('GET', $echo['method']);
        $this->assertSame('/v1/private/business-units/42/reviews', $echo['path']);
        $this->assertSame('page=2', $echo['query']);
        $this->assertSame($resp->body, $resp->text());
        $this->assertSame($echo, json_decode($resp->body, true));

        $this->assertStringStartsWith('application/json', (string) $resp->header('Content-Type'));
        $this->assertSame($resp->header('content-type'), $resp->header('CONTENT-TYPE'));
        $this->assertNull($resp->header('x-not-there'));
        $headers = $resp->headers();
        $this->assertArrayHasKey('content-type', $headers);
        $this->assertSame((string) strlen($resp->body), $headers['content-length'] ?? (string) strlen($resp->body));

        $api = Mock::lastApiRequest();
        $token = $auth->getToken();
        $this->remember($token->accessToken, $token->refreshToken);
        $this->assertSame('Bearer ' . $token->accessToken, Mock::headerOf($api, 'authorization'));
        $this->assertSame(Mock::KEY, Mock::headerOf($api, 'apikey'));
        $this->assertSame(1, Mock::tokenRequests());
    }

    public function testRequestPostBodyAndAbsoluteUrl(): void
    {
        $auth = $this->passwordAuth();
        $body = json_encode(['text' => "thanks & bye\u{1F600}"], JSON_THROW_ON_ERROR);
        $resp = $auth->request('POST', Mock::url('/v1/private/reviews/9/reply'), $body, 'application/json');
        $this->assertSame(200, $resp->status);
        $echo = $resp->json();
        $this->assertSame('POST', $echo['method']);
        $this->assertSame('/v1/private/reviews/9/reply', $echo['path']);
        $this->assertSame($body, $echo['body']);
        $this->assertSame('application/json', $echo['content_type']);
    }

    public function testRequestRenewsOnceAfter401(): void
    {
        $auth = $this->passwordAuth();
        $this->assertSame(200, $auth->request('GET', '/v1/private/a')->status);
        Mock::expire();
        $resp = $auth->request('GET', '/v1/private/b');
        $this->assertSame(200, $resp->status);
        $this->assertSame(2, Mock::tokenRequests());
        $this->assertSame(1, Mock::stats()['api_401']);
    }

    public function testRequestReturnsApiErrorsAsResponses(): void
    {
        // a client-credentials token without x-business-user-id: the API answers 403
        $auth = $this->auth();
        $auth->clientCredentialsGrant();
        $resp = $auth->request('GET', '/v1/private/a');
        $this->assertSame(403, $resp->status);
    }

    public function testCloneSharesTheClient(): void
    {
        $auth = $this->passwordAuth();
        $copy = clone $auth;
        $token = $copy->getToken();
        unset($copy);
        $this->assertSame($token->accessToken, $auth->getToken()->accessToken);
        $this->assertSame(1, Mock::tokenRequests());
    }

    public function testDumpsShowNoSecret(): void
    {
        $auth = $this->passwordAuth();
        $token = $auth->getToken();
        $this->remember($token->accessToken, $token->refreshToken);
        $this->assertNoSecret(print_r($auth, true), 'print_r(auth)');
        ob_start();
        var_dump($auth, $token);
        $this->assertNoSecret((string) ob_get_clean(), 'var_dump');
        $this->assertNoSecret(print_r($token, true), 'print_r(token)');
    }
}
