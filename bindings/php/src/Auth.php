<?php

declare(strict_types=1);

namespace Tpauth;

use FFI;
use FFI\CData;
use Tpauth\Internal\Handle;
use Tpauth\Internal\Native;

/**
 * A Trustpilot client: the grants, refresh, revoke, the managed token and API calls.
 *
 *     $auth = new Tpauth\Auth($key, $secret, ['username' => $user, 'password' => $pass,
 *                                             'token_cache' => '/var/cache/app/trustpilot.token']);
 *     $reviews = $auth->request('GET', '/v1/private/business-units/' . $id . '/reviews')->json();
 *
 * Every failure throws a `Tpauth\Exception` subclass (see `Tpauth\Status`). A string argument
 * that is null where a value is required, or that holds a NUL byte, throws
 * `Tpauth\InvalidArgumentException`; a value of another type throws PHP's `TypeError`.
 */
final class Auth
{
    /** This package's version; the libtpauth it loads must be the same release (checked at load). */
    public const VERSION = '0.1.0';

    /**
     * Every option key tp_config_set accepts, as the C library lists them (tp_option_name); values
     * are strings, bools or ints.
     *
     * @return list<string>
     */
    public static function optionKeys(): array
    {
        $ffi = Native::ffi();
        $keys = [];
        for ($i = 0, $n = $ffi->tp_option_count(); $i < $n; $i++) {
            $keys[] = (string) $ffi->tp_option_name($i); // const char * arrives as a PHP string
        }
        return $keys;
    }

    private Handle $handle;

    /**
     * @param array<string, string|int|bool|\Stringable|null>|null $options option key => value
     *        (the keys optionKeys() lists: `api_base_url`, `username`, `password`, `token_cache`,
     *        `allow_insecure_http`, ...). Bools become "true"/"false", ints their decimal string,
     *        null leaves the option at its default. An unknown key or a bad value throws
     *        `Tpauth\InvalidArgumentException`.
     */
    public function __construct(
        ?string $apiKey,
        #[\SensitiveParameter] ?string $apiSecret,
        #[\SensitiveParameter] ?array $options = null
    ) {
        $apiKey = Native::arg($apiKey, 'apiKey');
        $apiSecret = Native::arg($apiSecret, 'apiSecret');
        $ffi = Native::ffi();
        $cfg = $ffi->new('tp_config*');
        $err = Native::errBox();
        Native::check($ffi->tp_config_new($apiKey, $apiSecret, FFI::addr($cfg), FFI::addr($err)), $err);
        try {
            self::applyOptions($cfg, $options ?? []);
            $this->handle = self::open($cfg);
        } finally {
            $ffi->tp_config_free($cfg);
        }
    }

    /**
     * A client configured from the environment: `TRUSTPILOT_API_KEY`, `TRUSTPILOT_API_SECRET`,
     * `TRUSTPILOT_USERNAME`, `TRUSTPILOT_PASSWORD`, `TRUSTPILOT_API_HOST`, and `TRUSTPILOT_<KEY>`
     * for every other option (e.g. `TRUSTPILOT_TOKEN_CACHE`). Variables that only the web server
     * passes (Apache `SetEnv`, FastCGI params visible to `getenv()` but not in the process
     * environment) are honoured too.
     */
    public static function fromEnv(): self
    {
        $ffi = Native::ffi();
        $cfg = $ffi->new('tp_config*');
        $err = Native::errBox();
        // The core names the variables and maps them to options; PHP's getenv() answers, so that
        // variables only the web server passes (FPM pool `env[...]`, Apache `SetEnv`) count too.
        // Each value lives in $held until the call returns (the core copies it at once).
        $held = [];
        $lookup = static function ($name) use ($ffi, &$held) {
            $v = getenv(is_string($name) ? $name : FFI::string($name));
            if (!is_string($v) || $v === '' || str_contains($v, "\0")) {
                return null;
            }
            $buf = $ffi->new('char[' . (strlen($v) + 1) . ']');
            FFI::memcpy($buf, $v, strlen($v));
            $held[] = $buf;
            return $ffi->cast('char *', $buf);
        };
        try {
            Native::check($ffi->tp_config_from_lookup($lookup, null, FFI::addr($cfg), FFI::addr($err)), $err);
        } finally {
            foreach ($held as $buf) {
                FFI::memset($buf, 0, FFI::sizeof($buf)); // values include the API secret
            }
            $held = [];
        }
        try {
            $auth = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
            $auth->handle = self::open($cfg);
            return $auth;
        } finally {
            $ffi->tp_config_free($cfg);
        }
    }

    /**
     * The password grant; the token becomes the current one (and is written to the token cache).
     */
    public function passwordGrant(?string $username, #[\SensitiveParameter] ?string $password): Token
    {
        $username = Native::arg($username, 'username');
        $password = Native::arg($password, 'password');
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_password_grant($this->handle->ptr(), $username, $password, FFI::addr($out), FFI::addr($err)), $err);
        return Token::fromNative($out);
    }

    /** The client-credentials grant; API calls then send `x-business-user-id` (option `business_user_id`). */
    public function clientCredentialsGrant(): Token
    {
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_client_credentials_grant($this->handle->ptr(), FFI::addr($out), FFI::addr($err)), $err);
        return Token::fromNative($out);
    }

    /**
     * Exchanges an authorization code; `$redirectUri` must be the one given to `authorizeUrl()`.
     * With PKCE, `$codeVerifier` is the verifier of the challenge given to `authorizeUrl()`
     * (`Auth::newPkce()`); a mismatch throws `InvalidGrantException`.
     */
    public function authorizationCodeGrant(
        #[\SensitiveParameter] ?string $code,
        ?string $redirectUri,
        #[\SensitiveParameter] ?string $codeVerifier = null
    ): Token {
        $code = Native::arg($code, 'code');
        $redirectUri = Native::arg($redirectUri, 'redirectUri');
        $codeVerifier = Native::arg($codeVerifier, 'codeVerifier', true);
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_authorization_code_grant_pkce($this->handle->ptr(), $code, $redirectUri, $codeVerifier, FFI::addr($out), FFI::addr($err)), $err);
        return Token::fromNative($out);
    }

    /** Refreshes `$refreshToken`, or the current token's when null. */
    public function refresh(#[\SensitiveParameter] ?string $refreshToken = null): Token
    {
        $refreshToken = Native::arg($refreshToken, 'refreshToken', true);
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_refresh($this->handle->ptr(), $refreshToken, FFI::addr($out), FFI::addr($err)), $err);
        return Token::fromNative($out);
    }

    /** Revokes `$refreshToken` (and its access tokens), or the current token's when null. */
    public function revoke(#[\SensitiveParameter] ?string $refreshToken = null): void
    {
        $refreshToken = Native::arg($refreshToken, 'refreshToken', true);
        $ffi = Native::ffi();
        $err = Native::errBox();
        Native::check($ffi->tp_revoke($this->handle->ptr(), $refreshToken, FFI::addr($err)), $err);
    }

    /**
     * The managed token: the current one while it is valid, else one refresh or grant (shared by
     * every process through the token cache, when `token_cache` is set).
     */
    public function getToken(): Token
    {
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_get_token($this->handle->ptr(), FFI::addr($out), FFI::addr($err)), $err);
        return Token::fromNative($out);
    }

    /** Tells the client the API refused `$accessToken`: the next `getToken()` renews it. */
    public function invalidateToken(#[\SensitiveParameter] ?string $accessToken): void
    {
        $accessToken = Native::arg($accessToken, 'accessToken');
        $ffi = Native::ffi();
        $err = Native::errBox();
        Native::check($ffi->tp_invalidate_token($this->handle->ptr(), $accessToken, FFI::addr($err)), $err);
    }

    /** Makes `$token` the current one (e.g. one restored with `Token::fromJson()`). */
    public function setToken(?Token $token): void
    {
        if ($token === null) {
            throw new InvalidArgumentException('token must not be null', Status::INVALID_ARGUMENT);
        }
        $ffi = Native::ffi();
        $err = Native::errBox();
        Native::check($ffi->tp_set_token($this->handle->ptr(), $token->native(), FFI::addr($err)), $err);
    }

    /**
     * The authorize page URL to send the browser to. `$responseType` is `code` (authorization
     * code flow) or `token` (implicit); `$redirectUri` must be https. Pass `$state`
     * (e.g. `Auth::newState()`) and check it in `parseCodeRedirect()`. `$codeChallenge` (PKCE,
     * from `Auth::newPkce()`) adds `code_challenge` and `code_challenge_method=S256`.
     */
    public function authorizeUrl(?string $redirectUri, ?string $responseType = 'code', ?string $state = null, ?string $codeChallenge = null): string
    {
        $redirectUri = Native::arg($redirectUri, 'redirectUri');
        $responseType = Native::arg($responseType, 'responseType');
        $state = Native::arg($state, 'state', true);
        $codeChallenge = Native::arg($codeChallenge, 'codeChallenge', true);
        $ffi = Native::ffi();
        $out = $ffi->new('char*');
        $err = Native::errBox();
        Native::check($ffi->tp_authorize_url_pkce($this->handle->ptr(), $redirectUri, $responseType, $state, $codeChallenge, FFI::addr($out), FFI::addr($err)), $err);
        return Native::owned($out) ?? '';
    }

    /**
     * A fresh PKCE pair (RFC 7636, S256): `['verifier' => ..., 'challenge' => ...]`. Send the
     * challenge with `authorizeUrl()`, keep the verifier (a secret, like the state) for
     * `authorizationCodeGrant()`.
     *
     * @return array{verifier: string, challenge: string}
     */
    public static function newPkce(): array
    {
        $ffi = Native::ffi();
        $verifier = $ffi->new('char*');
        $challenge = $ffi->new('char*');
        $err = Native::errBox();
        Native::check($ffi->tp_new_pkce(FFI::addr($verifier), FFI::addr($challenge), FFI::addr($err)), $err);
        return ['verifier' => Native::owned($verifier) ?? '', 'challenge' => Native::owned($challenge) ?? ''];
    }

    /**
     * Throws `InvalidArgumentException` unless the token may be sent to `$url`: a path, or an
     * absolute URL to the `api_base_url` host, Trustpilot's API hosts or a `token_hosts` host.
     */
    public function checkTokenUrl(?string $url): void
    {
        $url = Native::arg($url, 'url');
        $ffi = Native::ffi();
        $err = Native::errBox();
        Native::check($ffi->tp_check_token_url($this->handle->ptr(), $url, FFI::addr($err)), $err);
    }

    /**
     * The headers an API call to `$url` carries, for HTTP clients that send the request
     * themselves (`Tpauth\Guzzle\Middleware`, `Tpauth\Psr18\AuthenticatingClient`):
     * `Authorization` (the managed token: this may renew it), `apikey` and, when configured,
     * `x-business-user-id`. Throws `InvalidArgumentException` for a host that may not see the
     * token, before any token is obtained.
     *
     * @return array<string, string> header name => value
     */
    public function apiHeaders(?string $method, ?string $url): array
    {
        $method = Native::arg($method, 'method');
        $url = Native::arg($url, 'url');
        $ffi = Native::ffi();
        $out = $ffi->new('char*');
        $err = Native::errBox();
        Native::check($ffi->tp_api_headers($this->handle->ptr(), $method, $url, FFI::addr($out), FFI::addr($err)), $err);
        return self::headerLines(Native::owned($out) ?? '');
    }

    /**
     * Everything an HTTP adapter needs for one API call (`Tpauth\Guzzle\Middleware`,
     * `Tpauth\Psr18\AuthenticatingClient`): `url`, the URL to send the request to (a path joined
     * to `api_base_url`, or the absolute URL as the core judged it: send this one), `headers` to
     * set (each replacing the request's header of that name in any letter case: `Authorization`
     * with the managed token, which this may renew, `apikey` and, when configured and not named in
     * `$callerHeaders`, `x-business-user-id`), and `accessToken`, the token sent (give it to
     * `invalidateToken()` on a 401). Throws `InvalidArgumentException` for a URL that may not see
     * the token (another host, `https:host/x`, `//host/x`, ...), before any token is obtained.
     *
     * @param list<string> $callerHeaders the names of the headers the request already carries
     * @return array{url: string, headers: array<string, string>, accessToken: string}
     */
    public function prepareApiCall(?string $method, ?string $urlOrPath, array $callerHeaders = []): array
    {
        $method = Native::arg($method, 'method');
        $urlOrPath = Native::arg($urlOrPath, 'urlOrPath');
        $ffi = Native::ffi();
        $url = $ffi->new('char*');
        $out = $ffi->new('char*');
        $err = Native::errBox();
        $names = implode("\n", array_map('strval', $callerHeaders));
        Native::check($ffi->tp_prepare_api_call($this->handle->ptr(), $method, $urlOrPath, $names, 0, FFI::addr($url), FFI::addr($out), FFI::addr($err)), $err);
        $call = ['url' => Native::owned($url) ?? '', 'headers' => self::headerLines(Native::owned($out) ?? ''), 'accessToken' => ''];
        $authorization = $call['headers']['Authorization'] ?? '';
        $call['accessToken'] = str_starts_with($authorization, 'Bearer ') ? substr($authorization, strlen('Bearer ')) : '';
        return $call;
    }

    /** @return array<string, string> name => value of "Name: value" lines */
    private static function headerLines(string $text): array
    {
        $headers = [];
        foreach (explode("\n", $text) as $line) {
            [$name, $value] = explode(': ', $line, 2) + [1 => ''];
            if ($name !== '') {
                $headers[$name] = $value;
            }
        }
        return $headers;
    }

    /** 128 random bits, URL-safe: a fresh `state` for `authorizeUrl()`. */
    public static function newState(): string
    {
        $ffi = Native::ffi();
        $ptr = $ffi->tp_new_state();
        $state = $ptr instanceof CData ? Native::owned($ptr) : null;
        if ($state === null) {
            throw new InternalException('tp_new_state returned nothing', Status::INTERNAL);
        }
        return $state;
    }

    /**
     * The `code` of the redirect the browser came back with. Throws `StateMismatchException`
     * when its `state` is not `$expectedState` (not checked when null) and
     * `AccessDeniedException` when the user declined.
     */
    public static function parseCodeRedirect(#[\SensitiveParameter] ?string $redirectUrl, ?string $expectedState = null): string
    {
        $redirectUrl = Native::arg($redirectUrl, 'redirectUrl');
        $expectedState = Native::arg($expectedState, 'expectedState', true);
        $ffi = Native::ffi();
        $out = $ffi->new('char*');
        $err = Native::errBox();
        Native::check($ffi->tp_parse_code_redirect($redirectUrl, $expectedState, FFI::addr($out), FFI::addr($err)), $err);
        return Native::owned($out) ?? '';
    }

    /** The token in the fragment of an implicit-flow redirect (state checked as in `parseCodeRedirect`). */
    public static function parseImplicitRedirect(#[\SensitiveParameter] ?string $redirectUrl, ?string $expectedState = null): Token
    {
        $redirectUrl = Native::arg($redirectUrl, 'redirectUrl');
        $expectedState = Native::arg($expectedState, 'expectedState', true);
        $ffi = Native::ffi();
        $out = $ffi->new('tp_token*');
        $err = Native::errBox();
        Native::check($ffi->tp_parse_implicit_redirect($redirectUrl, $expectedState, FFI::addr($out), FFI::addr($err)), $err);
        return Token::fromNative($out);
    }

    /**
     * An API call with the managed token (`Authorization: Bearer`, `apikey`, and
     * `x-business-user-id` when configured). A path is joined to `api_base_url`. On 401 the token
     * is renewed and the call retried once. Any HTTP status comes back as a `Response` (check
     * `$response->status`); exceptions are for failures to get a token or an answer.
     */
    public function request(?string $method, ?string $urlOrPath, ?string $body = null, ?string $contentType = null): Response
    {
        $method = Native::arg($method, 'method');
        $urlOrPath = Native::arg($urlOrPath, 'urlOrPath');
        $body = Native::arg($body, 'body', true);
        $contentType = Native::arg($contentType, 'contentType', true);
        $ffi = Native::ffi();
        $out = $ffi->new('tp_response*');
        $err = Native::errBox();
        Native::check($ffi->tp_request($this->handle->ptr(), $method, $urlOrPath, $body, $contentType, FFI::addr($out), FFI::addr($err)), $err);
        return Response::fromNative($out);
    }

    /** libtpauth's version, "MAJOR.MINOR.PATCH". */
    public static function version(): string
    {
        return Native::borrowed(Native::ffi()->tp_version()) ?? '';
    }

    /** @return array<string, string> */
    public function __debugInfo(): array
    {
        return ['version' => self::version()];
    }

    /** @return array<string, mixed> */
    public function __serialize(): array
    {
        throw new \LogicException('Tpauth\Auth cannot be serialized');
    }

    private static function open(CData $cfg): Handle
    {
        $ffi = Native::ffi();
        $out = $ffi->new('tp_auth*');
        $err = Native::errBox();
        Native::check($ffi->tp_auth_new($cfg, FFI::addr($out), FFI::addr($err)), $err);
        return new Handle($out, 'tp_auth_free');
    }

    /** @param array<mixed> $options */
    private static function applyOptions(CData $cfg, #[\SensitiveParameter] array $options): void
    {
        $ffi = Native::ffi();
        foreach ($options as $key => $value) {
            if (!is_string($key)) {
                throw new InvalidArgumentException('option keys must be strings (an options array maps key => value), got '
                    . get_debug_type($key), Status::INVALID_ARGUMENT);
            }
            Native::arg($key, 'option key');
            if ($value === null) {
                continue;
            }
            if (is_bool($value)) {
                $value = $value ? 'true' : 'false';
            } elseif (is_int($value)) {
                $value = (string) $value;
            } elseif (is_float($value) && is_finite($value) && floor($value) === $value && abs($value) < 2 ** 53) {
                $value = sprintf('%.0f', $value);
            } elseif ($value instanceof \Stringable) {
                $value = (string) $value;
            } elseif (!is_string($value)) {
                throw new InvalidArgumentException('option ' . $key . ': expected a string, int or bool, got '
                    . get_debug_type($value), Status::INVALID_ARGUMENT);
            }
            Native::arg($value, 'option ' . $key);
            $err = Native::errBox();
            Native::check($ffi->tp_config_set($cfg, $key, $value, FFI::addr($err)), $err);
        }
    }
}
