<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 2 (`TP_ERR_NETWORK`): DNS, connect, TLS, connection reset, truncated body. */
class NetworkException extends Exception
{
}
