<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 7 (`TP_ERR_HTTP`): any other non-2xx answer; see getHttpStatus(). */
class HttpException extends Exception
{
}
