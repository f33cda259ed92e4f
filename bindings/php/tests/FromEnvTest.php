<?php

declare(strict_types=1);

namespace Tpauth\Tests;

use Tpauth\Auth;
use Tpauth\InvalidArgumentException;
use Tpauth\Status;

final class FromEnvTest extends TestCase
{
    /** @var array<string, string|false> */
    private array $saved = [];

    /** @param array<string, string> $vars */
    private function setEnv(array $vars): void
    {
        foreach ($vars as $k => $v) {
            if (!array_key_exists($k, $this->saved)) {
                $this->saved[$k] = getenv($k, true);
            }
            putenv("$k=$v");
        }
    }

    private function unsetEnv(string $k): void
    {
        if (!array_key_exists($k, $this->saved)) {
            $this->saved[$k] = getenv($k, true);
        }
        putenv($k);
    }

    protected function tearDown(): void
    {
        foreach ($this->saved as $k => $v) {
            putenv($v === false ? $k : "$k=$v");
        }
    }

    public function testFromEnvReadsTheOfficialNames(): void
    {
        $this->setEnv(Mock::env(['TRUSTPILOT_BUSINESS_USER_ID' => 'bu-from-env']));
        $auth = Auth::fromEnv();
        $resp = $auth->request('GET', '/v1/private/x');
        $this->assertSame(200, $resp->status);
        $this->assertSame('bu-from-env', $resp->json()['business_user_id']);
        $this->assertSame(1, Mock::stats()['grants']['password'], 'TRUSTPILOT_USERNAME/PASSWORD enable the password grant');
        $this->assertSame('grant_type=password&username=user%40example.com&password=mock-password', Mock::lastTokenRequest()['body']);
    }

    public function testMissingKeyIsInvalidArgument(): void
    {
        $this->setEnv(Mock::env());
        $this->unsetEnv('TRUSTPILOT_API_KEY');
        $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, fn () => Auth::fromEnv());
        $this->assertStringContainsString('TRUSTPILOT_API_KEY', $e->getMessage());
    }

    public function testBadOptionVariableIsInvalidArgument(): void
    {
        $this->setEnv(Mock::env(['TRUSTPILOT_TIMEOUT_MS' => 'later']));
        $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, fn () => Auth::fromEnv());
        $this->assertStringContainsString('TRUSTPILOT_TIMEOUT_MS', $e->getMessage());
    }

    public function testWebServerPathReadsEveryOptionTheCoreReads(): void
    {
        // tp_config_from_env reads TRUSTPILOT_<KEY> for the library's added keys too; the
        // getenv() fallback for web-server-only variables must read the same ones.
        $m = new \ReflectionMethod(Auth::class, 'configFromGetenv');
        $m->setAccessible(true);
        $vars = new \ReflectionMethod(Auth::class, 'envVars');
        $vars->setAccessible(true);
        $ffi = \Tpauth\Internal\Native::ffi();
        foreach (['max_response_bytes', 'cache_lock_ttl_ms', 'cache_timeout_ms'] as $key) {
            $name = 'TRUSTPILOT_' . strtoupper($key);
            $this->setEnv(Mock::env([$name => 'later']));
            // The core's own reader refuses the value: the variable is one it reads.
            $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, fn () => Auth::fromEnv());
            $cfg = $ffi->new('tp_config*');
            $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, fn () => $m->invoke(null, $cfg, $vars->invoke(null)));
            $this->assertStringContainsString($key, $e->getMessage());
            $this->unsetEnv($name);
        }
    }

    public function testWebServerVariablesAreHonoured(): void
    {
        // Apache's SetEnv / FastCGI params reach getenv() but not the process environment: the
        // CLI cannot fake that, but the fallback path must agree with the core's, which this
        // checks by calling it directly with the same variables.
        $this->setEnv(Mock::env(['TRUSTPILOT_GRANT' => 'client_credentials', 'TRUSTPILOT_BUSINESS_USER_ID' => 'mock-business-user-id']));
        $m = new \ReflectionMethod(Auth::class, 'configFromGetenv');
        $m->setAccessible(true);
        $vars = (new \ReflectionMethod(Auth::class, 'envVars'));
        $vars->setAccessible(true);
        $ffi = \Tpauth\Internal\Native::ffi();
        $cfg = $ffi->new('tp_config*');
        $m->invoke(null, $cfg, $vars->invoke(null));
        $open = new \ReflectionMethod(Auth::class, 'open');
        $open->setAccessible(true);
        $handle = $open->invoke(null, $cfg);
        $ffi->tp_config_free($cfg);
        $auth = (new \ReflectionClass(Auth::class))->newInstanceWithoutConstructor();
        $prop = new \ReflectionProperty(Auth::class, 'handle');
        $prop->setAccessible(true);
        $prop->setValue($auth, $handle);
        $this->assertSame(200, $auth->request('GET', '/v1/private/x')->status);
        $this->assertSame(1, Mock::stats()['grants']['client_credentials']);
        $this->assertSame('mock-business-user-id', Mock::headerOf(Mock::lastApiRequest(), 'x-business-user-id'));
    }
}
