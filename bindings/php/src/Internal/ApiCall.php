<?php

declare(strict_types=1);

namespace Tpauth\Internal;

use Psr\Http\Message\RequestInterface;
use Psr\Http\Message\UriInterface;
use Tpauth\Auth;

/**
 * A PSR-7 request as the core prepares it (`Auth::prepareApiCall()`), for the Guzzle middleware
 * and the PSR-18 client alike: sent to the URL the core judged, with the headers it gave. Which
 * headers, and whether a request's own `x-business-user-id` is kept, is the core's rule.
 *
 * @internal
 */
final class ApiCall
{
    private function __construct()
    {
    }

    /**
     * @return array{0: RequestInterface, 1: string} the request to send and the access token in it
     */
    public static function prepare(Auth $auth, RequestInterface $request): array
    {
        $given = (string) $request->getUri();
        $call = $auth->prepareApiCall($request->getMethod(), $given, array_keys($request->getHeaders()));
        if ($call['url'] !== $given) {
            // A path, joined to api_base_url by the core: the request goes there.
            $request = $request->withUri(self::uri($request->getUri(), $call['url']));
        }
        foreach ($call['headers'] as $name => $value) {
            $request = $request->withHeader($name, $value); // replaces the header in any letter case
        }
        return [$request, $call['accessToken']];
    }

    /** `$uri` set to every part of `$url` (a URL the core built, so parse_url reads it as meant). */
    private static function uri(UriInterface $uri, string $url): UriInterface
    {
        $p = parse_url($url);
        if ($p === false || !isset($p['scheme'], $p['host'])) {
            throw new \Tpauth\InternalException("the URL the core judged cannot be read by parse_url", \Tpauth\Status::INTERNAL);
        }
        $user = isset($p['user']) ? rawurldecode($p['user']) : '';
        $password = isset($p['pass']) ? rawurldecode($p['pass']) : null;
        return $uri->withScheme($p['scheme'])
            ->withUserInfo($user, $password)
            ->withHost($p['host'])
            ->withPort($p['port'] ?? null)
            ->withPath($p['path'] ?? '')
            ->withQuery($p['query'] ?? '')
            ->withFragment($p['fragment'] ?? '');
    }
}
