<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 4 (`TP_ERR_UNAUTHORIZED`): HTTP 401, or OAuth invalid_client (wrong API key or secret). */
class UnauthorizedException extends Exception
{
}
