<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\AccessDeniedException;
use Tpauth\Auth;
use Tpauth\Exception;
use Tpauth\HttpException;
use Tpauth\InternalException;
use Tpauth\InvalidArgumentException;
use Tpauth\InvalidGrantException;
use Tpauth\NetworkException;
use Tpauth\NoTokenException;
use Tpauth\ProtocolException;
use Tpauth\RateLimitedException;
use Tpauth\StateMismatchException;
use Tpauth\Status;
use Tpauth\StoreException;
use Tpauth\TimeoutException;
use Tpauth\UnauthorizedException;

/** Every exception class, each raised by a real failure where one can be provoked. */
final class ExceptionTest extends TestCase
{
    /** @return array<string, array{0: int, 1: class-string<Exception>, 2: string}> */
    public static function statuses(): array
    {
        return [
            'invalid argument' => [1, InvalidArgumentException::class, 'TP_ERR_INVALID_ARGUMENT'],
            'network' => [2, NetworkException::class, 'TP_ERR_NETWORK'],
            'timeout' => [3, TimeoutException::class, 'TP_ERR_TIMEOUT'],
            'unauthorized' => [4, UnauthorizedException::class, 'TP_ERR_UNAUTHORIZED'],
            'rate limited' => [5, RateLimitedException::class, 'TP_ERR_RATE_LIMITED'],
            'invalid grant' => [6, InvalidGrantException::class, 'TP_ERR_INVALID_GRANT'],
            'http' => [7, HttpException::class, 'TP_ERR_HTTP'],
            'protocol' => [8, ProtocolException::class, 'TP_ERR_PROTOCOL'],
            'state mismatch' => [9, StateMismatchException::class, 'TP_ERR_STATE_MISMATCH'],
            'access denied' => [10, AccessDeniedException::class, 'TP_ERR_ACCESS_DENIED'],
            'no token' => [11, NoTokenException::class, 'TP_ERR_NO_TOKEN'],
            'store' => [12, StoreException::class, 'TP_ERR_STORE'],
            'internal' => [13, InternalException::class, 'TP_ERR_INTERNAL'],
        ];
    }

    /**
     * @dataProvider statuses
     * @param class-string<Exception> $class
     */
    public function testOneClassPerStatus(int $status, string $class, string $name): void
    {
        $this->assertSame($class, Status::classFor($status));
        $this->assertSame($name, Status::name($status));
        $this->assertTrue(is_subclass_of($class, Exception::class));
        $this->assertTrue(is_subclass_of($class, \RuntimeException::class));
        $e = Exception::forStatus($status, 'msg', 503, 'oauth_code', 2500);
        $this->assertInstanceOf($class, $e);
        $this->assertSame($status, $e->getStatus());
        $this->assertSame($status, $e->getCode());
        $this->assertSame($name, $e->getStatusName());
        $this->assertSame(503, $e->getHttpStatus());
        $this->assertSame('oauth_code', $e->getOAuthCode());
        $this->assertSame(2.5, $e->getRetryAfter());
        $this->assertSame(2500, $e->getRetryAfterMs());
        $this->assertSame('msg', $e->getMessage());
    }

    public function testStatusNamesMatchTheLibrary(): void
    {
        $ffi = \Tpauth\Internal\Native::ffi();
        for ($s = 0; $s <= 13; $s++) {
            $this->assertSame(Status::name($s), $ffi->tp_status_name($s));
        }
    }

    public function testDefaultsOfAnExceptionWithoutDetails(): void
    {
        $e = Exception::forStatus(99, 'future');
        $this->assertSame(Exception::class, get_class($e));
        $this->assertNull($e->getHttpStatus());
        $this->assertNull($e->getRetryAfter());
        $this->assertNull($e->getOAuthCode());
    }

    public function testInvalidArgument(): void
    {
        $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT,
            fn () => new Auth(Mock::KEY, Mock::SECRET, ['no_such_option' => 'x']));
    }

    public function testNetwork(): void
    {
        // a port nobody listens on
        $sock = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr((string) stream_socket_get_name($sock, false), strrpos((string) stream_socket_get_name($sock, false), ':') + 1);
        fclose($sock);
        $auth = new Auth(Mock::KEY, Mock::SECRET, ['api_base_url' => "http://127.0.0.1:$port", 'allow_insecure_http' => true, 'max_retries' => 0]);
        $e = $this->assertThrowsTpauth(NetworkException::class, Status::NETWORK, fn () => $auth->passwordGrant(Mock::USER, Mock::PASSWORD));
        $this->assertNull($e->getHttpStatus());

        Mock::fault(['kind' => 'reset']);
        $this->assertThrowsTpauth(NetworkException::class, Status::NETWORK,
            fn () => $this->auth(['max_retries' => 0])->passwordGrant(Mock::USER, Mock::PASSWORD));
    }

    public function testTimeout(): void
    {
        Mock::fault(['kind' => 'slow', 'delay_ms' => 3000]);
        $t0 = microtime(true);
        $this->assertThrowsTpauth(TimeoutException::class, Status::TIMEOUT,
            fn () => $this->auth(['timeout_ms' => 300, 'max_retries' => 0])->passwordGrant(Mock::USER, Mock::PASSWORD));
        $this->assertLessThan(2.5, microtime(true) - $t0);
    }

    public function testUnauthorized(): void
    {
        $this->remember('wrong-secret-value');
        $e = $this->assertThrowsTpauth(UnauthorizedException::class, Status::UNAUTHORIZED,
            fn () => $this->auth([], Mock::KEY, 'wrong-secret-value')->passwordGrant(Mock::USER, Mock::PASSWORD));
        $this->assertSame(401, $e->getHttpStatus());
        $this->assertSame('invalid_client', $e->getOAuthCode());
    }

    public function testRateLimitedCarriesRetryAfter(): void
    {
        Mock::fault(['kind' => '429', 'retry_after' => '7']);
        $e = $this->assertThrowsTpauth(RateLimitedException::class, Status::RATE_LIMITED,
            fn () => $this->auth(['max_retries' => 0])->passwordGrant(Mock::USER, Mock::PASSWORD));
        $this->assertSame(429, $e->getHttpStatus());
        $this->assertSame(7, $e->getRetryAfter());
        $this->assertSame(7000, $e->getRetryAfterMs());

        Mock::fault(['kind' => '429']);
        $e = $this->assertThrowsTpauth(RateLimitedException::class, Status::RATE_LIMITED,
            fn () => $this->auth(['max_retries' => 0])->passwordGrant(Mock::USER, Mock::PASSWORD));
        $this->assertNull($e->getRetryAfter());
    }

    public function testRateLimitIsRetriedWithinBudget(): void
    {
        Mock::fault(['kind' => '429', 'retry_after' => '1']);
        $token = $this->auth(['max_retries' => 1])->passwordGrant(Mock::USER, Mock::PASSWORD);
        $this->remember($token->accessToken, $token->refreshToken);
        $this->assertSame(2, Mock::tokenRequests());
    }

    public function testInvalidGrant(): void
    {
        $this->remember('wrong-password-value');
        $e = $this->assertThrowsTpauth(InvalidGrantException::class, Status::INVALID_GRANT,
            fn () => $this->auth()->passwordGrant(Mock::USER, 'wrong-password-value'));
        $this->assertSame('invalid_grant', $e->getOAuthCode());
    }

    public function testHttp(): void
    {
        Mock::fault(['kind' => 'html_500']);
        $e = $this->assertThrowsTpauth(HttpException::class, Status::HTTP,
            fn () => $this->auth(['max_retries' => 0])->passwordGrant(Mock::USER, Mock::PASSWORD));
        $this->assertSame(500, $e->getHttpStatus());
        $this->assertNull($e->getOAuthCode());
    }

    public function testProtocol(): void
    {
        Mock::fault(['kind' => 'garbage']);
        $this->assertThrowsTpauth(ProtocolException::class, Status::PROTOCOL,
            fn () => $this->auth()->passwordGrant(Mock::USER, Mock::PASSWORD));
        Mock::fault(['kind' => 'no_access_token']);
        $this->assertThrowsTpauth(ProtocolException::class, Status::PROTOCOL,
            fn () => $this->auth()->passwordGrant(Mock::USER, Mock::PASSWORD));
    }

    public function testStateMismatch(): void
    {
        $this->assertThrowsTpauth(StateMismatchException::class, Status::STATE_MISMATCH,
            fn () => Auth::parseCodeRedirect('https://app.example.com/cb?code=c0de&state=a', 'b'));
    }

    public function testAccessDenied(): void
    {
        $this->assertThrowsTpauth(AccessDeniedException::class, Status::ACCESS_DENIED,
            fn () => Auth::parseCodeRedirect('https://app.example.com/cb?error=access_denied&error_description=no&state=s', 's'));
    }

    public function testNoToken(): void
    {
        $this->assertThrowsTpauth(NoTokenException::class, Status::NO_TOKEN,
            fn () => $this->auth(['grant' => 'none'])->getToken());
    }

    public function testStore(): void
    {
        // a cache path below a regular file can be neither read nor written (even by root)
        $file = tempnam(sys_get_temp_dir(), 'tpauth-php-');
        try {
            $this->assertThrowsTpauth(StoreException::class, Status::STORE, function () use ($file): void {
                $this->passwordAuth(['token_cache' => $file . '/cache.json'])->getToken();
            });
        } finally {
            unlink($file);
        }
    }

    public function testInternalIsTheFallbackForUnknownFailures(): void
    {
        // TP_ERR_INTERNAL is a caught panic, which a correct library never shows; the mapping of
        // the number is what a binding owns.
        $e = Exception::forStatus(Status::INTERNAL, 'panic: x');
        $this->assertInstanceOf(InternalException::class, $e);
        $this->assertSame(Status::INTERNAL, $e->getStatus());
    }

    public function testUncaughtExceptionOutputShowsNoSecret(): void
    {
        $script = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . '$a = new Tpauth\Auth("' . Mock::KEY . '", "' . Mock::SECRET . '", ["api_base_url" => "' . Mock::url() . '", "allow_insecure_http" => true]);'
            . '$a->passwordGrant("' . Mock::USER . '", "wrong-Passw0rd-xyz");';
        $this->remember('wrong-Passw0rd-xyz');
        $cmd = [PHP_BINARY, '-d', 'ffi.enable=true', '-d', 'zend.exception_ignore_args=0', '-d', 'display_errors=stderr', '-r', $script];
        $proc = proc_open($cmd, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $out = stream_get_contents($pipes[1]) . stream_get_contents($pipes[2]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        $this->assertSame(255, proc_close($proc));
        $this->assertStringContainsString('Tpauth\InvalidGrantException', $out);
        $this->assertStringContainsString('passwordGrant', $out);
        $this->assertNoSecret($out, 'uncaught exception output');
    }
}
