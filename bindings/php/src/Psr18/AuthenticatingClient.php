<?php

declare(strict_types=1);

namespace Tpauth\Psr18;

use Psr\Http\Client\ClientInterface;
use Psr\Http\Message\RequestInterface;
use Psr\Http\Message\ResponseInterface;
use Tpauth\Auth;

/**
 * A PSR-18 client that wraps any other: adds `Authorization: Bearer` (the managed token),
 * `apikey` and, when configured, `x-business-user-id`; on a 401 it invalidates the token it
 * sent, renews it and sends the request once more (when the body can be rewound). A request to a
 * host that may not see the token throws `Tpauth\Psr18\RequestException` (a PSR-18
 * `RequestExceptionInterface`, wrapping the `Tpauth\InvalidArgumentException`) and is not sent;
 * a token that cannot be had throws `Tpauth\Psr18\ClientException` wrapping the `Tpauth\Exception`.
 * Needs `psr/http-client`.
 *
 *     $client = new Tpauth\Psr18\AuthenticatingClient($anyPsr18Client, $auth);
 */
final class AuthenticatingClient implements ClientInterface
{
    public function __construct(private readonly ClientInterface $client, private readonly Auth $auth)
    {
    }

    public function sendRequest(RequestInterface $request): ResponseInterface
    {
        $headers = $this->headers($request);
        $response = $this->client->sendRequest(self::with($request, $headers));
        if ($response->getStatusCode() !== 401) {
            return $response;
        }
        $body = $request->getBody();
        if ($body->getSize() !== 0 && !$body->isSeekable()) {
            return $response;
        }
        try {
            $this->auth->invalidateToken(substr($headers['Authorization'] ?? '', strlen('Bearer ')));
        } catch (\Tpauth\Exception $e) {
            throw new ClientException($e->getMessage(), $request, $e);
        }
        if ($body->isSeekable()) {
            $body->rewind();
        }
        return $this->client->sendRequest(self::with($request, $this->headers($request)));
    }

    /** @return array<string, string> */
    private function headers(RequestInterface $request): array
    {
        try {
            return $this->auth->apiHeaders($request->getMethod(), (string) $request->getUri());
        } catch (\Tpauth\InvalidArgumentException $e) {
            throw new RequestException($e->getMessage(), $request, $e);
        } catch (\Tpauth\Exception $e) {
            throw new ClientException($e->getMessage(), $request, $e);
        }
    }

    /** @param array<string, string> $headers */
    private static function with(RequestInterface $request, array $headers): RequestInterface
    {
        foreach ($headers as $name => $value) {
            if ($name === 'x-business-user-id' && $request->hasHeader($name)) {
                continue;
            }
            $request = $request->withHeader($name, $value);
        }
        return $request;
    }
}
