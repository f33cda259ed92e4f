<?php

declare(strict_types=1);

namespace Tpauth\Psr18;

use Psr\Http\Client\ClientInterface;
use Psr\Http\Message\RequestInterface;
use Psr\Http\Message\ResponseInterface;
use Tpauth\Auth;
use Tpauth\Internal\ApiCall;

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
        [$prepared, $sent] = $this->prepare($request);
        $response = $this->client->sendRequest($prepared);
        if ($response->getStatusCode() !== 401) {
            return $response;
        }
        $body = $request->getBody();
        if ($body->getSize() !== 0 && !$body->isSeekable()) {
            return $response;
        }
        try {
            $this->auth->invalidateToken($sent);
        } catch (\Tpauth\Exception $e) {
            throw new ClientException($e->getMessage(), $request, $e);
        }
        if ($body->isSeekable()) {
            $body->rewind();
        }
        return $this->client->sendRequest($this->prepare($request)[0]);
    }

    /**
     * The request as the core prepares it (sent to the URL it judged, with its headers), and the
     * access token in it.
     *
     * @return array{0: RequestInterface, 1: string}
     */
    private function prepare(RequestInterface $request): array
    {
        try {
            return ApiCall::prepare($this->auth, $request);
        } catch (\Tpauth\InvalidArgumentException $e) {
            throw new RequestException($e->getMessage(), $request, $e);
        } catch (\Tpauth\Exception $e) {
            throw new ClientException($e->getMessage(), $request, $e);
        }
    }
}
