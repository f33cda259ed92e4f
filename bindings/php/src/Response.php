<?php

declare(strict_types=1);

namespace Tpauth;

use FFI;
use FFI\CData;
use Tpauth\Internal\Native;

/** One API response, immutable: copied out of libtpauth when it arrives. */
final class Response
{
    /** The HTTP status. */
    public readonly int $status;
    /** The body, as bytes. */
    public readonly string $body;
    /** @var list<array{0: string, 1: string}> header names lower-cased, values as sent, in order */
    private array $headerList;

    /** @param list<array{0: string, 1: string}> $headers */
    private function __construct(int $status, string $body, array $headers)
    {
        $this->status = $status;
        $this->body = $body;
        $this->headerList = $headers;
    }

    /**
     * Copies a `tp_response *` out-parameter box and frees it.
     *
     * @internal
     */
    public static function fromNative(CData $box): self
    {
        $ffi = Native::ffi();
        try {
            $status = (int) $ffi->tp_response_status($box);
            $len = $ffi->new('size_t');
            $ptr = $ffi->tp_response_body($box, FFI::addr($len));
            if ($ptr instanceof CData) {
                $body = FFI::isNull($ptr) || $len->cdata === 0 ? '' : FFI::string($ptr, (int) $len->cdata);
            } else {
                $body = (string) $ptr;
            }
            $headers = [];
            $count = (int) $ffi->tp_response_header_count($box);
            for ($i = 0; $i < $count; $i++) {
                $name = $ffi->new('const char*');
                $value = $ffi->new('const char*');
                if ($ffi->tp_response_header_at($box, $i, FFI::addr($name), FFI::addr($value))) {
                    $headers[] = [strtolower(Native::borrowed($name) ?? ''), Native::borrowed($value) ?? ''];
                }
            }
        } finally {
            $ffi->tp_response_free($box);
        }
        return new self($status, $body, $headers);
    }

    /** The first value of a header (case-insensitive name), or null when absent. */
    public function header(string $name): ?string
    {
        $name = strtolower($name);
        foreach ($this->headerList as [$k, $v]) {
            if ($k === $name) {
                return $v;
            }
        }
        return null;
    }

    /**
     * Every header: lower-cased name => value, in the order received; a repeated header's values
     * are joined with ", ".
     *
     * @return array<string, string>
     */
    public function headers(): array
    {
        $out = [];
        foreach ($this->headerList as [$k, $v]) {
            $out[$k] = isset($out[$k]) ? $out[$k] . ', ' . $v : $v;
        }
        return $out;
    }

    /** The body as text (same bytes as `$body`). */
    public function text(): string
    {
        return $this->body;
    }

    /**
     * The body decoded as JSON (objects as associative arrays).
     *
     * @throws \JsonException when the body is not JSON
     */
    public function json(): mixed
    {
        return json_decode($this->body, true, 512, JSON_THROW_ON_ERROR);
    }
}
