<?php

declare(strict_types=1);

namespace Tpauth\Internal;

use FFI;
use FFI\CData;

/**
 * Owns one libtpauth handle and frees it, once, when the last PHP reference goes away. Objects
 * holding a Handle can be cloned safely: clones share it.
 *
 * @internal
 */
final class Handle
{
    private ?CData $ptr;

    /** @param string $free the C function that frees it, e.g. `tp_auth_free` */
    public function __construct(CData $ptr, private readonly string $free)
    {
        $this->ptr = $ptr;
    }

    public function ptr(): CData
    {
        if ($this->ptr === null) {
            throw new \LogicException('tpauth: handle already freed');
        }
        return $this->ptr;
    }

    public function free(): void
    {
        $ptr = $this->ptr;
        $this->ptr = null;
        if ($ptr !== null && !FFI::isNull($ptr)) {
            Native::ffi()->{$this->free}($ptr);
        }
    }

    public function __destruct()
    {
        $this->free();
    }

    public function __clone()
    {
        throw new \LogicException('tpauth: a handle cannot be cloned');
    }

    /** @return array<string, string> */
    public function __debugInfo(): array
    {
        return ['free' => $this->free, 'live' => $this->ptr !== null ? 'yes' : 'no'];
    }
}
