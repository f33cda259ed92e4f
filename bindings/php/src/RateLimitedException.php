<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 5 (`TP_ERR_RATE_LIMITED`): HTTP 429: authentication was asked for too often; see getRetryAfter(). */
class RateLimitedException extends Exception
{
}
