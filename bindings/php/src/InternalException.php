<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 13 (`TP_ERR_INTERNAL`): a bug in tpauth (a caught panic); please report it. */
class InternalException extends Exception
{
}
