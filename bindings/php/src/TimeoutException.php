<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 3 (`TP_ERR_TIMEOUT`): the request took longer than timeout_ms (or connecting longer than connect_timeout_ms). */
class TimeoutException extends Exception
{
}
