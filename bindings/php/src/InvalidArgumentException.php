<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 1 (`TP_ERR_INVALID_ARGUMENT`): null or NUL where a value is required, a value of the wrong kind, an unknown option, a bad URL, a non-https redirect_uri. */
class InvalidArgumentException extends Exception
{
}
