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

    public function testEveryOptionTheCoreListsIsReadThroughGetenv(): void
    {
        // Driven by the core's list (tp_option_name): for every option, a value the core refuses
        // through tp_config_set must be refused through fromEnv too, naming the variable; so
        // fromEnv (tp_config_from_lookup over getenv()) reads every option the core has.
        $keys = Auth::optionKeys();
        $this->assertContains('token_cache', $keys);
        $this->assertSame('api_base_url', $keys[0]);
        $checked = 0;
        foreach ($keys as $key) {
            $var = $key === 'api_base_url' ? 'TRUSTPILOT_API_HOST' : 'TRUSTPILOT_' . strtoupper($key);
            try {
                new Auth(Mock::KEY, Mock::SECRET, [$key => "bad\x01value"]);
                continue; // a value this option accepts
            } catch (InvalidArgumentException $direct) {
                if (!str_contains($direct->getMessage(), 'option ' . $key)) {
                    continue; // refused later (e.g. an unreadable ca_file), not by the option itself
                }
            }
            $this->setEnv(Mock::env([$var => "bad\x01value"]));
            $e = $this->assertThrowsTpauth(InvalidArgumentException::class, Status::INVALID_ARGUMENT, fn () => Auth::fromEnv());
            $this->assertStringContainsString($var, $e->getMessage());
            $this->unsetEnv($var);
            $checked++;
        }
        $this->assertGreaterThan(count($keys) / 2, $checked);
    }

    public function testPutenvVariablesReachTheConfig(): void
    {
        // putenv() (as FPM's env[...] and the SAPI's variables) is what getenv() sees; fromEnv
        // hands those values to the core through tp_config_from_lookup.
        $this->setEnv(Mock::env(['TRUSTPILOT_GRANT' => 'client_credentials', 'TRUSTPILOT_BUSINESS_USER_ID' => 'mock-business-user-id',
            'TRUSTPILOT_USER_AGENT' => 'from-putenv/1']));
        $auth = Auth::fromEnv();
        $this->assertSame(200, $auth->request('GET', '/v1/private/x')->status);
        $this->assertSame(1, Mock::stats()['grants']['client_credentials']);
        $this->assertSame('mock-business-user-id', Mock::headerOf(Mock::lastApiRequest(), 'x-business-user-id'));
        $this->assertSame('from-putenv/1', Mock::headerOf(Mock::lastTokenRequest(), 'user-agent'));
    }

    public function testApiBaseUrlIsReadAndWinsOverApiHost(): void
    {
        // A program pointed at a mock with the option's own name must not send its grant to the
        // host TRUSTPILOT_API_HOST names (here a closed port).
        $this->setEnv(Mock::env(['TRUSTPILOT_API_HOST' => 'http://127.0.0.1:9', 'TRUSTPILOT_API_BASE_URL' => Mock::url()]));
        $this->assertSame(200, Auth::fromEnv()->request('GET', '/v1/private/x')->status);
        $this->assertSame(1, Mock::stats()['grants']['password']);
    }

    public function testAVariableThatNamesNoOptionIsALoggedWarning(): void
    {
        $this->setEnv(Mock::env(['TRUSTPILOT_TOKENCACHE' => '/tmp/value-never-logged']));
        $seen = [];
        \Tpauth\Log::setHandler(function (int $level, string $message) use (&$seen): void {
            $seen[] = [$level, $message];
        });
        try {
            Auth::fromEnv();
        } finally {
            \Tpauth\Log::setHandler(null);
            $this->unsetEnv('TRUSTPILOT_TOKENCACHE');
        }
        $warnings = array_values(array_filter($seen, fn ($e) => $e[0] === \Tpauth\Log::WARN && str_contains($e[1], 'TRUSTPILOT_TOKENCACHE')));
        $this->assertCount(1, $warnings, json_encode($seen));
        $this->assertStringNotContainsString('value-never-logged', $warnings[0][1]);
    }

    public function testFfiRefusedNamesBothFixes(): void
    {
        // What every web server under Debian's ffi.enable=preload meets (FFI::cdef refused outside
        // the CLI), reproduced in the CLI with ffi.enable=false: the message gives the two fixes,
        // ffi.enable=true or preloading, with the package's own preload.php.
        $script = 'require ' . var_export(dirname(__DIR__) . '/autoload.php', true) . ';'
            . 'try { Tpauth\Auth::version(); } catch (Throwable $e) { echo $e->getMessage(); }';
        $out = (string) shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=ffi -d ffi.enable=false -r ' . escapeshellarg($script) . ' 2>&1');
        $this->assertStringContainsString('ffi.enable=true', $out);
        $this->assertStringContainsString('opcache.preload=' . dirname(__DIR__) . '/preload.php', $out);
        $this->assertStringNotContainsString('TPAUTH_LIB', $out);
    }
}
