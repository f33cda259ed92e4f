<?php

declare(strict_types=1);

namespace Tpauth\Psr18;

use Psr\Http\Client\ClientExceptionInterface;
use Psr\Http\Message\RequestInterface;

/** No token could be had for the request; `getPrevious()` is the `Tpauth\Exception`. */
class ClientException extends \RuntimeException implements ClientExceptionInterface
{
    public function __construct(string $message, private readonly RequestInterface $request, \Tpauth\Exception $previous)
    {
        parent::__construct($message, $previous->getStatus(), $previous);
    }

    public function getRequest(): RequestInterface
    {
        return $this->request;
    }
}
