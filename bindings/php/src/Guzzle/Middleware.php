<?php

declare(strict_types=1);

namespace Tpauth\Guzzle;

use Psr\Http\Message\RequestInterface;
use Psr\Http\Message\ResponseInterface;
use Tpauth\Auth;
use Tpauth\Internal\ApiCall;

/**
 * Guzzle handler-stack middleware: adds `Authorization: Bearer` (the managed token), `apikey`
 * and, when configured, `x-business-user-id`; on a 401 it invalidates the token it sent, renews
 * it and resends the request once (when the body can be rewound). A request to a host that may
 * not see the token (`Auth::checkTokenUrl()`), or whose URL some reader takes for another host
 * (`https:host/x`, `//host/x`, ...), is refused with `Tpauth\InvalidArgumentException` before
 * anything is sent; the request goes to the URL the core judged. Needs `guzzlehttp/guzzle` 7.
 *
 *     $stack = GuzzleHttp\HandlerStack::create();
 *     $stack->push(new Tpauth\Guzzle\Middleware($auth));
 *     $client = new GuzzleHttp\Client(['handler' => $stack, 'base_uri' => 'https://api.trustpilot.com']);
 *
 * The token is obtained when the request is handed to the stack (a renewal blocks that call:
 * PHP's FFI calls cannot be interrupted). The returned promise is Guzzle's: `cancel()` rejects it
 * with a `CancellationException`, and a cancelled request is never renewed nor resent (whether
 * curl had already sent it is Guzzle's business).
 */
final class Middleware
{
    public function __construct(private readonly Auth $auth)
    {
    }

    public function __invoke(callable $handler): callable
    {
        return function (RequestInterface $request, array $options) use ($handler) {
            // The core judges the URL (a refused one throws before any token is obtained) and
            // gives the URL to send to and the headers.
            [$prepared, $sent] = ApiCall::prepare($this->auth, $request);
            $promise = $handler($prepared, $options);
            $resend = function (ResponseInterface $response) use ($handler, $request, $options, $sent) {
                $body = $request->getBody();
                if ($body->getSize() !== 0 && !$body->isSeekable()) {
                    return null; // a body that cannot be sent again: the caller gets the 401
                }
                $this->auth->invalidateToken($sent);
                if ($body->isSeekable()) {
                    $body->rewind();
                }
                return $handler(ApiCall::prepare($this->auth, $request)[0], $options);
            };
            return $promise->then(
                static function ($response) use ($resend) {
                    if ($response instanceof ResponseInterface && $response->getStatusCode() === 401) {
                        return $resend($response) ?? $response;
                    }
                    return $response;
                },
                // With http_errors (HandlerStack::create()'s default) below us, a 401 arrives as
                // a rejection carrying the response.
                static function ($reason) use ($resend) {
                    $response = $reason instanceof \GuzzleHttp\Exception\RequestException ? $reason->getResponse() : null;
                    if ($response !== null && $response->getStatusCode() === 401) {
                        $again = $resend($response);
                        if ($again !== null) {
                            return $again;
                        }
                    }
                    return \GuzzleHttp\Promise\Create::rejectionFor($reason);
                }
            );
        };
    }
}
