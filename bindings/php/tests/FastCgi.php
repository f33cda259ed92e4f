<?php

declare(strict_types=1);

namespace Tpauth\Tests;

/** A minimal FastCGI client (responder role), enough to send GET requests to php-fpm. */
final class FastCgi
{
    private const VERSION = 1;
    private const BEGIN_REQUEST = 1;
    private const END_REQUEST = 3;
    private const PARAMS = 4;
    private const STDIN = 5;
    private const STDOUT = 6;
    private const STDERR = 7;

    /**
     * Sends a request and returns the connection; read it with `read()`, so that many requests
     * can be in flight at once.
     *
     * @param array<string, string> $params
     * @return resource
     */
    public static function send(string $address, array $params)
    {
        $sock = @stream_socket_client($address, $errno, $errstr, 10);
        if ($sock === false) {
            throw new \RuntimeException("fastcgi: cannot connect to $address: $errstr");
        }
        stream_set_timeout($sock, 60);
        $pairs = '';
        foreach ($params as $k => $v) {
            $pairs .= self::length(strlen($k)) . self::length(strlen($v)) . $k . $v;
        }
        $data = self::record(self::BEGIN_REQUEST, pack('nCx5', 1, 0))
            . self::record(self::PARAMS, $pairs) . self::record(self::PARAMS, '')
            . self::record(self::STDIN, '');
        fwrite($sock, $data);
        return $sock;
    }

    /**
     * Reads the answer: headers and body of STDOUT, and STDERR.
     *
     * @param resource $sock
     * @return array{headers: string, body: string, stderr: string}
     */
    public static function read($sock): array
    {
        $stdout = '';
        $stderr = '';
        while (true) {
            $head = self::readExactly($sock, 8);
            $h = unpack('Cversion/Ctype/nid/nlength/Cpadding/Creserved', $head);
            $content = $h['length'] > 0 ? self::readExactly($sock, $h['length']) : '';
            if ($h['padding'] > 0) {
                self::readExactly($sock, $h['padding']);
            }
            if ($h['type'] === self::STDOUT) {
                $stdout .= $content;
            } elseif ($h['type'] === self::STDERR) {
                $stderr .= $content;
            } elseif ($h['type'] === self::END_REQUEST) {
                break;
            }
        }
        fclose($sock);
        $parts = explode("\r\n\r\n", $stdout, 2);
        return ['headers' => $parts[0], 'body' => $parts[1] ?? '', 'stderr' => $stderr];
    }

    private static function record(int $type, string $content): string
    {
        return pack('CCnnCx', self::VERSION, $type, 1, strlen($content), 0) . $content;
    }

    private static function length(int $n): string
    {
        return $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    }

    /** @param resource $sock */
    private static function readExactly($sock, int $n): string
    {
        $buf = '';
        while (strlen($buf) < $n) {
            $chunk = fread($sock, $n - strlen($buf));
            if ($chunk === false || $chunk === '') {
                throw new \RuntimeException('fastcgi: connection closed early (' . strlen($buf) . " of $n bytes)");
            }
            $buf .= $chunk;
        }
        return $buf;
    }
}
