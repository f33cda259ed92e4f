<?php

declare(strict_types=1);

namespace Tpauth;

/**
 * The C ABI's `tp_status` numbers (fixed forever) and their names. `Exception::getStatus()`
 * returns one of these; each non-OK status has its own exception class (see `classFor()`).
 */
final class Status
{
    public const OK = 0;
    public const INVALID_ARGUMENT = 1;
    public const NETWORK = 2;
    public const TIMEOUT = 3;
    public const UNAUTHORIZED = 4;
    public const RATE_LIMITED = 5;
    public const INVALID_GRANT = 6;
    public const HTTP = 7;
    public const PROTOCOL = 8;
    public const STATE_MISMATCH = 9;
    public const ACCESS_DENIED = 10;
    public const NO_TOKEN = 11;
    public const STORE = 12;
    public const INTERNAL = 13;

    /** @var array<int, array{0: string, 1: class-string<Exception>}> */
    private const TABLE = [
        self::INVALID_ARGUMENT => ['TP_ERR_INVALID_ARGUMENT', InvalidArgumentException::class],
        self::NETWORK => ['TP_ERR_NETWORK', NetworkException::class],
        self::TIMEOUT => ['TP_ERR_TIMEOUT', TimeoutException::class],
        self::UNAUTHORIZED => ['TP_ERR_UNAUTHORIZED', UnauthorizedException::class],
        self::RATE_LIMITED => ['TP_ERR_RATE_LIMITED', RateLimitedException::class],
        self::INVALID_GRANT => ['TP_ERR_INVALID_GRANT', InvalidGrantException::class],
        self::HTTP => ['TP_ERR_HTTP', HttpException::class],
        self::PROTOCOL => ['TP_ERR_PROTOCOL', ProtocolException::class],
        self::STATE_MISMATCH => ['TP_ERR_STATE_MISMATCH', StateMismatchException::class],
        self::ACCESS_DENIED => ['TP_ERR_ACCESS_DENIED', AccessDeniedException::class],
        self::NO_TOKEN => ['TP_ERR_NO_TOKEN', NoTokenException::class],
        self::STORE => ['TP_ERR_STORE', StoreException::class],
        self::INTERNAL => ['TP_ERR_INTERNAL', InternalException::class],
    ];

    private function __construct()
    {
    }

    /** The C name of a status, e.g. `TP_ERR_RATE_LIMITED` (`TP_OK` for 0, `TP_ERR_UNKNOWN_<n>` otherwise). */
    public static function name(int $status): string
    {
        if ($status === self::OK) {
            return 'TP_OK';
        }
        return self::TABLE[$status][0] ?? 'TP_ERR_UNKNOWN_' . $status;
    }

    /**
     * The exception class thrown for a status (the base `Tpauth\Exception` for a status this
     * version does not know).
     *
     * @return class-string<Exception>
     */
    public static function classFor(int $status): string
    {
        return self::TABLE[$status][1] ?? Exception::class;
    }
}
