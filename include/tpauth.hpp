/* tpauth.hpp: a header-only C++17 wrapper over the tpauth C ABI (tpauth.h).
 *
 *   tpauth::Auth auth("KEY", "SECRET", {{"username", "me@example.com"}, {"password", "pw"}});
 *   tpauth::Response r = auth.request("GET", "/v1/private/business-units/123/reviews");
 *   std::cout << r.status() << ' ' << r.body() << '\n';
 *
 * - Config, Auth, Token and Response are move-only RAII owners of their C handles; every handle,
 *   string and error the C library hands out is freed on every path, exceptions included.
 * - Every failure throws tpauth::Error (a std::runtime_error) carrying the status, the HTTP status,
 *   the OAuth error code and Retry-After; more precisely the subclass for its status
 *   (tpauth::RateLimited, tpauth::InvalidGrant, ...). Messages never contain a secret.
 * - Inputs are std::string_view (copied into NUL-terminated strings for the call; a view holding a
 *   NUL byte is refused with Status::InvalidArgument). Values that may be absent are std::optional.
 * - Views returned by Token and Response borrow from that object and live as long as it does; on
 *   a temporary (`auth.get_token().access_token()`) the same accessors return owning std::strings.
 * - tpauth::set_log_callback() takes any callable (std::function) for the library's log events.
 * - Auth is safe to share between threads: its methods are const and may be called concurrently
 *   (the C client is internally synchronized). Token and Response are immutable. Config is a
 *   builder for one thread.
 */
#ifndef TPAUTH_HPP
#define TPAUTH_HPP

#if __cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L)
#error "tpauth.hpp needs C++17 or newer"
#endif

#include "tpauth.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tpauth {

/** The C ABI's tp_status; the numbers are fixed forever. */
enum class Status : int {
  Ok = TP_OK,
  InvalidArgument = TP_ERR_INVALID_ARGUMENT,
  Network = TP_ERR_NETWORK,
  Timeout = TP_ERR_TIMEOUT,
  Unauthorized = TP_ERR_UNAUTHORIZED,
  RateLimited = TP_ERR_RATE_LIMITED,
  InvalidGrant = TP_ERR_INVALID_GRANT,
  Http = TP_ERR_HTTP,
  Protocol = TP_ERR_PROTOCOL,
  StateMismatch = TP_ERR_STATE_MISMATCH,
  AccessDenied = TP_ERR_ACCESS_DENIED,
  NoToken = TP_ERR_NO_TOKEN,
  Store = TP_ERR_STORE,
  Internal = TP_ERR_INTERNAL,
};

/** "TP_ERR_RATE_LIMITED" etc. */
inline std::string_view status_name(Status status) noexcept {
  const char *name = tp_status_name(static_cast<tp_status>(status));
  return name ? std::string_view(name) : std::string_view();
}

/** The library's version, "MAJOR.MINOR.PATCH". */
inline std::string_view version() noexcept {
  const char *v = tp_version();
  return v ? std::string_view(v) : std::string_view();
}

/** Every failure of the library. what() is the library's message (never a secret). */
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string &message, int http_status = 0,
        std::optional<std::string> oauth_code = std::nullopt,
        std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
      : std::runtime_error(message),
        status_(status),
        http_status_(http_status),
        oauth_code_(std::move(oauth_code)),
        retry_after_(retry_after) {}

  /** What kind of failure this is. */
  Status status() const noexcept { return status_; }
  /** "TP_ERR_INVALID_GRANT" etc. */
  std::string_view status_name() const noexcept { return tpauth::status_name(status_); }
  /** The HTTP status of the answer that failed; 0 when there was no HTTP answer. */
  int http_status() const noexcept { return http_status_; }
  /** The OAuth error code ("invalid_grant", "invalid_client", ...), when the server sent one. */
  const std::optional<std::string> &oauth_code() const noexcept { return oauth_code_; }
  /** How long the server asked to wait (Retry-After), when it said. */
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }

 private:
  Status status_;
  int http_status_;
  std::optional<std::string> oauth_code_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

/* One subclass per status, for `catch (const tpauth::RateLimited &e)`; each is a tpauth::Error. */
#define TPAUTH_ERROR_CLASS(Name)  \
  class Name : public Error {     \
   public:                        \
    using Error::Error;           \
  };
TPAUTH_ERROR_CLASS(InvalidArgument)
TPAUTH_ERROR_CLASS(NetworkError)
TPAUTH_ERROR_CLASS(Timeout)
TPAUTH_ERROR_CLASS(Unauthorized)
TPAUTH_ERROR_CLASS(RateLimited)
TPAUTH_ERROR_CLASS(InvalidGrant)
TPAUTH_ERROR_CLASS(HttpError)
TPAUTH_ERROR_CLASS(ProtocolError)
TPAUTH_ERROR_CLASS(StateMismatch)
TPAUTH_ERROR_CLASS(AccessDenied)
TPAUTH_ERROR_CLASS(NoToken)
TPAUTH_ERROR_CLASS(StoreError)
TPAUTH_ERROR_CLASS(InternalError)
#undef TPAUTH_ERROR_CLASS

namespace detail {

/** Throws the subclass of tpauth::Error that matches the status. */
[[noreturn]] inline void throw_typed(Status st, const std::string &msg, int http = 0,
                                     std::optional<std::string> oauth = std::nullopt,
                                     std::optional<std::chrono::milliseconds> retry = std::nullopt) {
  switch (st) {
    case Status::InvalidArgument: throw InvalidArgument(st, msg, http, std::move(oauth), retry);
    case Status::Network: throw NetworkError(st, msg, http, std::move(oauth), retry);
    case Status::Timeout: throw Timeout(st, msg, http, std::move(oauth), retry);
    case Status::Unauthorized: throw Unauthorized(st, msg, http, std::move(oauth), retry);
    case Status::RateLimited: throw RateLimited(st, msg, http, std::move(oauth), retry);
    case Status::InvalidGrant: throw InvalidGrant(st, msg, http, std::move(oauth), retry);
    case Status::Http: throw HttpError(st, msg, http, std::move(oauth), retry);
    case Status::Protocol: throw ProtocolError(st, msg, http, std::move(oauth), retry);
    case Status::StateMismatch: throw StateMismatch(st, msg, http, std::move(oauth), retry);
    case Status::AccessDenied: throw AccessDenied(st, msg, http, std::move(oauth), retry);
    case Status::NoToken: throw NoToken(st, msg, http, std::move(oauth), retry);
    case Status::Store: throw StoreError(st, msg, http, std::move(oauth), retry);
    case Status::Internal: throw InternalError(st, msg, http, std::move(oauth), retry);
    default: throw Error(st, msg, http, std::move(oauth), retry);  // a status newer than this header
  }
}

struct ErrorFree {
  void operator()(tp_error *e) const noexcept { tp_error_free(e); }
};
struct StringFree {
  void operator()(char *s) const noexcept { tp_string_free(s); }
};
struct ConfigFree {
  void operator()(tp_config *c) const noexcept { tp_config_free(c); }
};
struct AuthFree {
  void operator()(tp_auth *a) const noexcept { tp_auth_free(a); }
};
struct TokenFree {
  void operator()(tp_token *t) const noexcept { tp_token_free(t); }
};
struct ResponseFree {
  void operator()(tp_response *r) const noexcept { tp_response_free(r); }
};

using ErrorPtr = std::unique_ptr<tp_error, ErrorFree>;
using StringPtr = std::unique_ptr<char, StringFree>;

inline std::string_view view(const char *s) noexcept {
  return s ? std::string_view(s) : std::string_view();
}

inline std::optional<std::string_view> opt_view(const char *s) noexcept {
  if (!s) return std::nullopt;
  return std::string_view(s);
}

inline std::optional<std::string> opt_string(std::optional<std::string_view> v) {
  if (!v) return std::nullopt;
  return std::string(*v);
}

/** Turns a failed call's status and error object into a thrown tpauth::Error (freeing the object). */
[[noreturn]] inline void throw_error(tp_status status, tp_error *raw) {
  ErrorPtr err(raw);  // freed on every path out of here, std::bad_alloc included
  if (!err) throw_typed(static_cast<Status>(status), std::string(tpauth::status_name(static_cast<Status>(status))));
  const tp_status st = tp_error_status(err.get());
  std::optional<std::string> oauth;
  if (const char *code = tp_error_oauth_code(err.get())) oauth.emplace(code);
  std::optional<std::chrono::milliseconds> retry;
  const int64_t ms = tp_error_retry_after_ms(err.get());
  if (ms >= 0) retry.emplace(ms);
  throw_typed(static_cast<Status>(st == TP_OK ? status : st), std::string(view(tp_error_message(err.get()))),
              tp_error_http_status(err.get()), std::move(oauth), retry);
}

/* `err` is taken by reference on purpose: in `check(tp_call(..., &err), err)` the order in which
 * the two arguments are evaluated is unspecified, so a copy could be taken before the call wrote
 * it. Reading it here, in the body, happens after the call. */
inline void check(tp_status status, tp_error *&err) {
  tp_error *raw = err;
  err = nullptr;
  if (status != TP_OK) throw_error(status, raw);
  tp_error_free(raw);  // never set on success; harmless if it were
}

/** A NUL-terminated copy of a view for the C call. The C library refuses what it cannot take;
 *  an embedded NUL would silently cut the value short, so it is refused here the same way. */
class CStr {
 public:
  CStr(std::string_view v, const char *what) : s_(v) {
    if (s_.find('\0') != std::string::npos) {
      throw InvalidArgument(Status::InvalidArgument, std::string(what) + " must not contain a NUL byte");
    }
  }
  const char *c_str() const noexcept { return s_.c_str(); }

 private:
  std::string s_;
};

class OptCStr {
 public:
  OptCStr(std::optional<std::string_view> v, const char *what) {
    if (v) s_.emplace(*v, what);
  }
  const char *c_str() const noexcept { return s_ ? s_->c_str() : nullptr; }

 private:
  std::optional<CStr> s_;
};

/** Takes ownership of a char* the library returned and copies it into a std::string. */
inline std::string take_string(char *raw) {
  StringPtr owned(raw);
  if (!owned) throw InternalError(Status::Internal, "tpauth returned no string");
  return std::string(owned.get());
}

}  // namespace detail

/** Builder for a client: API key, secret and options (tp_option_name lists the keys). */
class Config {
 public:
  Config(std::string_view api_key, std::string_view api_secret) {
    detail::CStr key(api_key, "api_key"), secret(api_secret, "api_secret");
    tp_config *out = nullptr;
    tp_error *err = nullptr;
    detail::check(tp_config_new(key.c_str(), secret.c_str(), &out, &err), err);
    handle_.reset(out);
  }

  Config(std::string_view api_key, std::string_view api_secret,
         std::initializer_list<std::pair<std::string_view, std::string_view>> options)
      : Config(api_key, api_secret) {
    for (const auto &kv : options) set(kv.first, kv.second);
  }

  /** Reads TRUSTPILOT_API_KEY, TRUSTPILOT_API_SECRET, ... as tp_config_from_env does. */
  static Config from_env() {
    tp_config *out = nullptr;
    tp_error *err = nullptr;
    detail::check(tp_config_from_env(&out, &err), err);
    return Config(out);
  }

  /** Adopts a handle (nullptr gives an empty Config). */
  explicit Config(tp_config *adopt) noexcept : handle_(adopt) {}

  Config(const Config &) = delete;
  Config &operator=(const Config &) = delete;
  Config(Config &&) noexcept = default;
  Config &operator=(Config &&) noexcept = default;
  ~Config() = default;

  /** Sets one option; unknown keys and bad values throw Status::InvalidArgument. */
  Config &set(std::string_view key, std::string_view value) & {
    detail::CStr k(key, "option key"), v(value, "option value");
    tp_error *err = nullptr;
    detail::check(tp_config_set(handle_.get(), k.c_str(), v.c_str(), &err), err);
    return *this;
  }
  Config &&set(std::string_view key, std::string_view value) && {
    set(key, value);
    return std::move(*this);
  }

  tp_config *get() const noexcept { return handle_.get(); }
  tp_config *release() noexcept { return handle_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

 private:
  std::unique_ptr<tp_config, detail::ConfigFree> handle_;
};

/** One token response; immutable. */
class Token {
 public:
  /** Adopts a handle (nullptr gives an empty Token whose accessors return empty values). */
  explicit Token(tp_token *adopt) noexcept : handle_(adopt) {}

  Token(const Token &) = delete;
  Token &operator=(const Token &) = delete;
  Token(Token &&) noexcept = default;
  Token &operator=(Token &&) noexcept = default;
  ~Token() = default;

  /** Restores a token saved with to_json(). */
  static Token from_json(std::string_view json) {
    detail::CStr j(json, "json");
    tp_token *out = nullptr;
    tp_error *err = nullptr;
    detail::check(tp_token_from_json(j.c_str(), &out, &err), err);
    return Token(out);
  }

  std::string_view access_token() const & noexcept { return detail::view(tp_token_access_token(get())); }
  std::string access_token() && { return std::string(access_token_view()); }

  std::optional<std::string_view> refresh_token() const & noexcept {
    return detail::opt_view(tp_token_refresh_token(get()));
  }
  std::optional<std::string> refresh_token() && { return detail::opt_string(refresh_token_view()); }

  /** As sent, e.g. "BearerToken". */
  std::optional<std::string_view> token_type() const & noexcept { return detail::opt_view(tp_token_type(get())); }
  std::optional<std::string> token_type() && { return detail::opt_string(token_type_view()); }

  /** Seconds, as the server sent them. */
  std::optional<std::int64_t> expires_in() const noexcept {
    const int64_t v = get() ? tp_token_expires_in(get()) : -1;
    if (v < 0) return std::nullopt;
    return v;
  }

  /** Unix seconds (local clock at receipt + expires_in). */
  std::optional<std::int64_t> expires_at() const noexcept {
    const int64_t v = get() ? tp_token_expires_at(get()) : -1;
    if (v < 0) return std::nullopt;
    return v;
  }

  /** Unix seconds (local clock) when the token was received. */
  std::optional<std::int64_t> received_at() const noexcept {
    const int64_t v = get() ? tp_token_received_at(get()) : -1;
    if (v < 0) return std::nullopt;
    return v;
  }

  std::optional<std::chrono::system_clock::time_point> expiry() const noexcept {
    auto at = expires_at();
    if (!at) return std::nullopt;
    return std::chrono::system_clock::time_point(std::chrono::seconds(*at));
  }

  bool is_expired(std::chrono::seconds leeway = std::chrono::seconds(0)) const noexcept {
    return get() ? tp_token_is_expired(get(), static_cast<int64_t>(leeway.count())) : true;
  }

  /** The server's response body, verbatim. */
  std::string_view raw_json() const & noexcept { return detail::view(tp_token_raw_json(get())); }
  std::string raw_json() && { return std::string(raw_json_view()); }

  /** For persisting: contains the tokens, so keep it as you would a password. */
  std::string to_json() const {
    char *out = nullptr;
    tp_error *err = nullptr;
    detail::check(tp_token_to_json(get(), &out, &err), err);
    return detail::take_string(out);
  }

  const tp_token *get() const noexcept { return handle_.get(); }
  tp_token *release() noexcept { return handle_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

 private:
  std::string_view access_token_view() const noexcept { return detail::view(tp_token_access_token(get())); }
  std::optional<std::string_view> refresh_token_view() const noexcept {
    return detail::opt_view(tp_token_refresh_token(get()));
  }
  std::optional<std::string_view> token_type_view() const noexcept { return detail::opt_view(tp_token_type(get())); }
  std::string_view raw_json_view() const noexcept { return detail::view(tp_token_raw_json(get())); }

  std::unique_ptr<tp_token, detail::TokenFree> handle_;
};

/** One API response; immutable. */
class Response {
 public:
  explicit Response(tp_response *adopt) noexcept : handle_(adopt) {}

  Response(const Response &) = delete;
  Response &operator=(const Response &) = delete;
  Response(Response &&) noexcept = default;
  Response &operator=(Response &&) noexcept = default;
  ~Response() = default;

  /** The HTTP status (any status: a 404 from the API is a Response, not an Error). */
  int status() const noexcept { return get() ? tp_response_status(get()) : 0; }
  bool ok() const noexcept { return status() >= 200 && status() < 300; }

  /** The body's bytes (may hold NUL bytes). */
  std::string_view body() const & noexcept { return body_view(); }
  std::string body() && { return std::string(body_view()); }

  /** A header's value (name case-insensitive). */
  std::optional<std::string_view> header(std::string_view name) const & {
    detail::CStr n(name, "header name");
    return detail::opt_view(get() ? tp_response_header(get(), n.c_str()) : nullptr);
  }
  std::optional<std::string> header(std::string_view name) && {
    const Response &self = *this;
    return detail::opt_string(self.header(name));
  }

  /** Every header, in the order received, names lower-cased. */
  std::vector<std::pair<std::string_view, std::string_view>> headers() const & {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    const size_t n = get() ? tp_response_header_count(get()) : 0;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const char *name = nullptr, *value = nullptr;
      if (tp_response_header_at(get(), i, &name, &value)) out.emplace_back(detail::view(name), detail::view(value));
    }
    return out;
  }
  std::vector<std::pair<std::string, std::string>> headers() && {
    const Response &self = *this;
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &h : self.headers()) out.emplace_back(h.first, h.second);
    return out;
  }

  const tp_response *get() const noexcept { return handle_.get(); }
  tp_response *release() noexcept { return handle_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

 private:
  std::string_view body_view() const noexcept {
    if (!get()) return {};
    size_t len = 0;
    const char *b = tp_response_body(get(), &len);
    return b ? std::string_view(b, len) : std::string_view();
  }

  std::unique_ptr<tp_response, detail::ResponseFree> handle_;
};

/** The client: options, connection pool and the managed token. Share it between threads freely. */
class Auth {
 public:
  explicit Auth(const Config &cfg) {
    tp_auth *out = nullptr;
    tp_error *err = nullptr;
    detail::check(tp_auth_new(cfg.get(), &out, &err), err);
    handle_.reset(out);
  }

  /** Shorthand: a Config with these options, then the client. */
  Auth(std::string_view api_key, std::string_view api_secret,
       std::initializer_list<std::pair<std::string_view, std::string_view>> options = {})
      : Auth(Config(api_key, api_secret, options)) {}

  /** Adopts a handle. */
  explicit Auth(tp_auth *adopt) noexcept : handle_(adopt) {}

  static Auth from_env() { return Auth(Config::from_env()); }

  Auth(const Auth &) = delete;
  Auth &operator=(const Auth &) = delete;
  Auth(Auth &&) noexcept = default;
  Auth &operator=(Auth &&) noexcept = default;
  ~Auth() = default;

  /* grants: each success also becomes the client's current token */

  Token password_grant(std::string_view username, std::string_view password) const {
    detail::CStr u(username, "username"), p(password, "password");
    return token_call([&](tp_token **out, tp_error **err) {
      return tp_password_grant(handle_.get(), u.c_str(), p.c_str(), out, err);
    });
  }

  Token client_credentials_grant() const {
    return token_call([&](tp_token **out, tp_error **err) {
      return tp_client_credentials_grant(handle_.get(), out, err);
    });
  }

  /** With code_verifier (PKCE, from new_pkce()), the verifier of the authorize URL's challenge. */
  Token authorization_code_grant(std::string_view code, std::string_view redirect_uri,
                                 std::optional<std::string_view> code_verifier = std::nullopt) const {
    detail::CStr c(code, "code"), r(redirect_uri, "redirect_uri");
    detail::OptCStr v(code_verifier, "code_verifier");
    return token_call([&](tp_token **out, tp_error **err) {
      return tp_authorization_code_grant_pkce(handle_.get(), c.c_str(), r.c_str(), v.c_str(), out, err);
    });
  }

  /** Refreshes the given refresh token, or (nullopt) the current token's. */
  Token refresh(std::optional<std::string_view> refresh_token = std::nullopt) const {
    detail::OptCStr rt(refresh_token, "refresh_token");
    return token_call([&](tp_token **out, tp_error **err) {
      return tp_refresh(handle_.get(), rt.c_str(), out, err);
    });
  }

  /** Revokes the given refresh token, or (nullopt) the current token's. */
  void revoke(std::optional<std::string_view> refresh_token = std::nullopt) const {
    detail::OptCStr rt(refresh_token, "refresh_token");
    tp_error *err = nullptr;
    detail::check(tp_revoke(handle_.get(), rt.c_str(), &err), err);
  }

  /* browser flows */

  /** The page to send the user to; response_type is "code" or "token"; code_challenge: PKCE (new_pkce()). */
  std::string authorize_url(std::string_view redirect_uri, std::string_view response_type = "code",
                            std::optional<std::string_view> state = std::nullopt,
                            std::optional<std::string_view> code_challenge = std::nullopt) const {
    detail::CStr r(redirect_uri, "redirect_uri"), t(response_type, "response_type");
    detail::OptCStr s(state, "state"), ch(code_challenge, "code_challenge");
    char *out = nullptr;
    tp_error *err = nullptr;
    detail::check(tp_authorize_url_pkce(handle_.get(), r.c_str(), t.c_str(), s.c_str(), ch.c_str(), &out, &err), err);
    return detail::take_string(out);
  }

  /* managed token */

  /** The current token while it is valid, else one refresh or grant shared by all callers. */
  Token get_token() const {
    return token_call([&](tp_token **out, tp_error **err) { return tp_get_token(handle_.get(), out, err); });
  }

  /** Tells the client the API refused this access token. */
  void invalidate_token(std::string_view access_token) const {
    detail::CStr a(access_token, "access_token");
    tp_error *err = nullptr;
    detail::check(tp_invalidate_token(handle_.get(), a.c_str(), &err), err);
  }

  /** Makes this token the client's current one (e.g. one restored with Token::from_json). */
  void set_token(const Token &token) const {
    tp_error *err = nullptr;
    detail::check(tp_set_token(handle_.get(), token.get(), &err), err);
  }

  /** An API call with the managed token (renewed and retried once on 401). A path is joined to
   *  api_base_url. Any HTTP status comes back as a Response; failures to get one throw. */
  Response request(std::string_view method, std::string_view url_or_path,
                   std::optional<std::string_view> body = std::nullopt,
                   std::optional<std::string_view> content_type = std::nullopt) const {
    detail::CStr m(method, "method"), u(url_or_path, "url_or_path");
    detail::OptCStr ct(content_type, "content_type");
    tp_response *out = nullptr;
    tp_error *err = nullptr;
    tp_status st;
    if (body) {  // bytes as given, NUL bytes included
      st = tp_request_bytes(handle_.get(), m.c_str(), u.c_str(), reinterpret_cast<const uint8_t *>(body->data()),
                            body->size(), ct.c_str(), &out, &err);
    } else {
      st = tp_request(handle_.get(), m.c_str(), u.c_str(), nullptr, ct.c_str(), &out, &err);
    }
    detail::check(st, err);
    return Response(out);
  }

  tp_auth *get() const noexcept { return handle_.get(); }
  tp_auth *release() noexcept { return handle_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

 private:
  template <class F>
  static Token token_call(F &&call) {
    tp_token *out = nullptr;
    tp_error *err = nullptr;
    detail::check(call(&out, &err), err);
    return Token(out);
  }

  std::unique_ptr<tp_auth, detail::AuthFree> handle_;
};

/** Levels of the log callback (the C ABI's TP_LOG_*). */
enum class LogLevel : int { Error = 1, Warn = 2, Info = 3, Debug = 4 };

using LogCallback = std::function<void(LogLevel, std::string_view)>;

namespace detail {
struct LogState {
  std::mutex mu;
  std::shared_ptr<const LogCallback> cb;
};
// Never destroyed: the library may log from any thread until the process ends.
inline LogState &log_state() {
  static LogState *state = new LogState();
  return *state;
}
inline void log_trampoline(int level, const char *msg, void * /*user_data*/) noexcept {
  std::shared_ptr<const LogCallback> cb;
  {
    std::lock_guard<std::mutex> lock(log_state().mu);
    cb = log_state().cb;
  }
  if (!cb) return;
  try {
    (*cb)(static_cast<LogLevel>(level), view(msg));
  } catch (...) {
    // an exception must not cross into the C library: the message is dropped
  }
}
}  // namespace detail

/** Installs the process-wide log callback (renewals, retries, cache events; never a secret), or
 *  removes it when cb is empty. It may be called from any thread, also concurrently, and must not
 *  call back into tpauth. Exceptions it throws are swallowed. */
inline void set_log_callback(LogCallback cb) {
  auto &st = detail::log_state();
  std::shared_ptr<const LogCallback> next;
  if (cb) next = std::make_shared<const LogCallback>(std::move(cb));
  const bool on = static_cast<bool>(next);
  {
    std::lock_guard<std::mutex> lock(st.mu);
    st.cb.swap(next);
  }
  tp_set_log_callback(on ? &detail::log_trampoline : nullptr, nullptr);
  // `next` (the previous callback) is released here; a call already running holds its own copy.
}

/** 128 random bits, URL-safe: the state to pass to authorize_url and check on the redirect. */
inline std::string new_state() { return detail::take_string(tp_new_state()); }

/** A PKCE pair (RFC 7636, S256): the challenge goes to authorize_url, the verifier to the code exchange. */
struct Pkce {
  std::string verifier;
  std::string challenge;
};

inline Pkce new_pkce() {
  char *v = nullptr, *c = nullptr;
  tp_error *err = nullptr;
  detail::check(tp_new_pkce(&v, &c, &err), err);
  return Pkce{detail::take_string(v), detail::take_string(c)};
}

/** The code from an authorization-code redirect (checks state when expected_state is given). */
inline std::string parse_code_redirect(std::string_view redirect_url,
                                       std::optional<std::string_view> expected_state = std::nullopt) {
  detail::CStr u(redirect_url, "redirect_url");
  detail::OptCStr s(expected_state, "expected_state");
  char *out = nullptr;
  tp_error *err = nullptr;
  detail::check(tp_parse_code_redirect(u.c_str(), s.c_str(), &out, &err), err);
  return detail::take_string(out);
}

/** The token from an implicit-grant redirect's fragment (checks state when expected_state is given). */
inline Token parse_implicit_redirect(std::string_view redirect_url,
                                     std::optional<std::string_view> expected_state = std::nullopt) {
  detail::CStr u(redirect_url, "redirect_url");
  detail::OptCStr s(expected_state, "expected_state");
  tp_token *out = nullptr;
  tp_error *err = nullptr;
  detail::check(tp_parse_implicit_redirect(u.c_str(), s.c_str(), &out, &err), err);
  return Token(out);
}

}  // namespace tpauth

#endif /* TPAUTH_HPP */
