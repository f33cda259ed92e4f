<?php

declare(strict_types=1);

namespace Tpauth;

use Tpauth\Internal\Native;

/**
 * libtpauth's log: token requests, renewals, retries and token-cache events (never a secret).
 *
 *     Tpauth\Log::setHandler(fn (int $level, string $message) => error_log("tpauth: $message"));
 *
 * The handler is process-wide and is removed at the end of the request (PHP frees the callback
 * then; set it again in each request that wants it). It runs on the calling thread, inside
 * tpauth calls: it must not call tpauth, and whatever it throws is discarded.
 */
final class Log
{
    public const ERROR = 1;
    public const WARN = 2;
    public const INFO = 3;
    public const DEBUG = 4;

    /** @var \Closure|null kept alive while the library holds the C callback */
    private static ?\Closure $trampoline = null;
    private static bool $shutdownRegistered = false;

    private function __construct()
    {
    }

    /** @param (callable(int, string): void)|null $handler null removes it */
    public static function setHandler(?callable $handler): void
    {
        $ffi = Native::ffi();
        if ($handler === null) {
            $ffi->tp_set_log_callback(null, null);
            self::$trampoline = null;
            return;
        }
        $handler = \Closure::fromCallable($handler);
        $trampoline = static function ($level, $message, $userData) use ($handler): void {
            try {
                $handler((int) $level, Native::borrowed($message) ?? '');
            } catch (\Throwable) {
                // a logger must not break the call it reports on
            }
        };
        $ffi->tp_set_log_callback($trampoline, null);
        self::$trampoline = $trampoline;
        if (!self::$shutdownRegistered) {
            // PHP frees FFI callbacks at the end of the request: unhook before it does.
            register_shutdown_function(static function (): void {
                if (self::$trampoline !== null) {
                    Native::ffi()->tp_set_log_callback(null, null);
                    self::$trampoline = null;
                }
            });
            self::$shutdownRegistered = true;
        }
    }
}
