<?php

declare(strict_types=1);

namespace Tpauth;

use FFI;
use FFI\CData;
use Tpauth\Internal\Handle;
use Tpauth\Internal\Native;

/**
 * One token response, immutable. Read-only properties; `var_dump`/`print_r` show no secret.
 * Persist it with `toJson()` (which does contain the secrets) and `Token::fromJson()`.
 */
final class Token
{
    /** The access token (a secret). */
    public readonly string $accessToken;
    /** The refresh token (a secret), or null when the grant gave none (client credentials, implicit). */
    public readonly ?string $refreshToken;
    /** The token type as sent, e.g. `BearerToken`, or null. */
    public readonly ?string $tokenType;
    /** `expires_in` as sent, in seconds, or null when unknown. */
    public readonly ?int $expiresIn;
    /** When it expires: unix seconds (local clock at receipt + expires_in), or null when unknown. */
    public readonly ?int $expiresAt;
    /** @var array<string, mixed> The server's response, decoded, every field verbatim (contains secrets). */
    public readonly array $raw;

    private Handle $handle;

    private function __construct(Handle $handle)
    {
        $ffi = Native::ffi();
        $t = $handle->ptr();
        $this->handle = $handle;
        $this->accessToken = Native::borrowed($ffi->tp_token_access_token($t)) ?? '';
        $this->refreshToken = Native::borrowed($ffi->tp_token_refresh_token($t));
        $this->tokenType = Native::borrowed($ffi->tp_token_type($t));
        $in = (int) $ffi->tp_token_expires_in($t);
        $this->expiresIn = $in >= 0 ? $in : null;
        $at = (int) $ffi->tp_token_expires_at($t);
        $this->expiresAt = $at >= 0 ? $at : null;
        $raw = json_decode(Native::borrowed($ffi->tp_token_raw_json($t)) ?? '', true);
        $this->raw = is_array($raw) ? $raw : [];
    }

    /**
     * Takes ownership of a `tp_token *` out-parameter box.
     *
     * @internal
     */
    public static function fromNative(CData $box): self
    {
        return new self(new Handle($box, 'tp_token_free'));
    }

    /** @internal the `tp_token *` for calls such as tp_set_token */
    public function native(): CData
    {
        return $this->handle->ptr();
    }

    /** A token saved with `toJson()`. Bad JSON throws `InvalidArgumentException`. */
    public static function fromJson(#[\SensitiveParameter] ?string $json): self
    {
        $json = Native::arg($json, 'json');
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_token_from_json($json, FFI::addr($out), FFI::addr($err)), $err);
        return self::fromNative($out);
    }

    /** The token as JSON, for persisting (it contains the secrets: store it like a password). */
    public function toJson(): string
    {
        $ffi = Native::ffi();
        $out = $ffi->new('char*');
        $err = Native::errBox();
        Native::check($ffi->tp_token_to_json($this->handle->ptr(), FFI::addr($out), FFI::addr($err)), $err);
        return Native::owned($out) ?? '';
    }

    /** Whether it expires within `$leeway` seconds from now (false when the expiry is unknown). */
    public function isExpired(int $leeway = 0): bool
    {
        return (bool) Native::ffi()->tp_token_is_expired($this->handle->ptr(), $leeway);
    }

    /** @return array<string, mixed> what var_dump/print_r show: no secret */
    public function __debugInfo(): array
    {
        $raw = $this->raw;
        foreach (['access_token', 'refresh_token'] as $secret) {
            if (array_key_exists($secret, $raw)) {
                $raw[$secret] = '[redacted]';
            }
        }
        return [
            'accessToken' => '[redacted]',
            'refreshToken' => $this->refreshToken === null ? null : '[redacted]',
            'tokenType' => $this->tokenType,
            'expiresIn' => $this->expiresIn,
            'expiresAt' => $this->expiresAt,
            'raw' => $raw,
        ];
    }

    /** @return array<string, mixed> */
    public function __serialize(): array
    {
        throw new \LogicException('Tpauth\Token cannot be serialized; use toJson() (it contains secrets)');
    }
}
