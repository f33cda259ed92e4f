<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 9 (`TP_ERR_STATE_MISMATCH`): the redirect's state differs from the expected one. */
class StateMismatchException extends Exception
{
}
