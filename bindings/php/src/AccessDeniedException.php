<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 10 (`TP_ERR_ACCESS_DENIED`): the redirect carries error=... (the user declined). */
class AccessDeniedException extends Exception
{
}
