<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 6 (`TP_ERR_INVALID_GRANT`): OAuth invalid_grant: wrong password, used code, revoked or rotated refresh token. */
class InvalidGrantException extends Exception
{
}
