<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 11 (`TP_ERR_NO_TOKEN`): nothing to refresh or revoke, or no grant configured for getToken(). */
class NoTokenException extends Exception
{
}
