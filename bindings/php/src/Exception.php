<?php

declare(strict_types=1);

namespace Tpauth;

/**
 * Every failure of tpauth. One subclass per status (`Tpauth\RateLimitedException`, ...); catch
 * this class to catch them all. `getCode()` equals `getStatus()`. The message never contains a
 * secret (API secret, password, access or refresh token).
 */
class Exception extends \RuntimeException
{
    private int $status;
    private ?int $httpStatus;
    private ?string $oauthCode;
    private ?int $retryAfterMs;

    /**
     * @param int         $status       a `Tpauth\Status` number
     * @param int|null    $httpStatus   the HTTP status of the answer that failed, null when there was none
     * @param string|null $oauthCode    the OAuth `error` code, e.g. `invalid_grant`
     * @param int|null    $retryAfterMs the server's Retry-After in milliseconds, null when it gave none
     */
    public function __construct(
        string $message,
        int $status = Status::INTERNAL,
        ?int $httpStatus = null,
        ?string $oauthCode = null,
        ?int $retryAfterMs = null,
        ?\Throwable $previous = null
    ) {
        parent::__construct($message, $status, $previous);
        $this->status = $status;
        $this->httpStatus = $httpStatus !== null && $httpStatus > 0 ? $httpStatus : null;
        $this->oauthCode = $oauthCode;
        $this->retryAfterMs = $retryAfterMs !== null && $retryAfterMs >= 0 ? $retryAfterMs : null;
    }

    /** The exception for a status: an instance of its subclass (see `Status::classFor`). */
    public static function forStatus(
        int $status,
        string $message,
        ?int $httpStatus = null,
        ?string $oauthCode = null,
        ?int $retryAfterMs = null
    ): self {
        $class = Status::classFor($status);
        return new $class($message, $status, $httpStatus, $oauthCode, $retryAfterMs);
    }

    /** The `Tpauth\Status` number (the C ABI's `tp_status`), e.g. `Status::RATE_LIMITED` (5). */
    public function getStatus(): int
    {
        return $this->status;
    }

    /** The status's C name, e.g. `TP_ERR_RATE_LIMITED`. */
    public function getStatusName(): string
    {
        return Status::name($this->status);
    }

    /** The HTTP status of the failed answer (401, 429, 500, ...), or null when no answer came. */
    public function getHttpStatus(): ?int
    {
        return $this->httpStatus;
    }

    /**
     * The server's Retry-After in seconds (an int when whole, e.g. `1`; a float otherwise), or
     * null when the server gave none.
     */
    public function getRetryAfter(): int|float|null
    {
        if ($this->retryAfterMs === null) {
            return null;
        }
        return $this->retryAfterMs % 1000 === 0 ? intdiv($this->retryAfterMs, 1000) : $this->retryAfterMs / 1000;
    }

    /** The server's Retry-After in milliseconds, or null when it gave none. */
    public function getRetryAfterMs(): ?int
    {
        return $this->retryAfterMs;
    }

    /** The OAuth error code (`invalid_grant`, `invalid_client`, ...), or null. */
    public function getOAuthCode(): ?string
    {
        return $this->oauthCode;
    }
}
