<?php

declare(strict_types=1);

namespace Tpauth;

/** Status 12 (`TP_ERR_STORE`): the token cache is unreadable or unwritable. */
class StoreException extends Exception
{
}
