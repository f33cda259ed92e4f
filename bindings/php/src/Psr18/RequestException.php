<?php

declare(strict_types=1);

namespace Tpauth\Psr18;

use Psr\Http\Client\RequestExceptionInterface;

/**
 * The request may not carry the token (its host is not allowed: see `Auth::checkTokenUrl()`);
 * nothing was sent. `getPrevious()` is the `Tpauth\InvalidArgumentException`.
 */
final class RequestException extends ClientException implements RequestExceptionInterface
{
}
