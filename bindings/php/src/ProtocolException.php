<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 8 (`TP_ERR_PROTOCOL`): a 2xx answer with an unusable body (not JSON, no access_token, over the size cap). */
class ProtocolException extends Exception
{
}
