// Tests of include/tpauth.hpp against the mock server (TPAUTH_MOCK_URL=http://127.0.0.1:PORT).
// Built with -fsanitize=address,undefined by tests/install/run.sh: a leak on any path, success or
// exception, fails the run at exit. Prints "N passed, M failed" and exits non-zero on a failure.
#include <tpauth.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

using namespace std::string_literals;
using namespace std::chrono_literals;

// ------------------------------------------------------------------------------------------------
// a minimal test harness

struct Failure {
  std::string what;
};

#define CHECK(cond)                                                                                  \
  do {                                                                                               \
    if (!(cond)) throw Failure{std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " #cond};   \
  } while (0)

#define CHECK_EQ(a, b)                                                                               \
  do {                                                                                               \
    const auto &va_ = (a);                                                                           \
    const auto &vb_ = (b);                                                                           \
    if (!(va_ == vb_)) {                                                                             \
      std::ostringstream os_;                                                                        \
      os_ << __FILE__ ":" << __LINE__ << ": " #a " == " #b ": got [" << va_ << "] vs [" << vb_ << "]"; \
      throw Failure{os_.str()};                                                                      \
    }                                                                                                \
  } while (0)

// Runs f, which must throw tpauth::Error with the given status; returns the error for more checks.
template <class F>
static tpauth::Error expect_error(tpauth::Status status, F &&f, int line) {
  try {
    f();
  } catch (const tpauth::Error &e) {
    if (e.status() != status) {
      throw Failure{"line " + std::to_string(line) + ": expected " + std::string(tpauth::status_name(status)) +
                    ", got " + std::string(e.status_name()) + ": " + e.what()};
    }
    return e;
  }
  throw Failure{"line " + std::to_string(line) + ": expected " + std::string(tpauth::status_name(status)) +
                ", nothing was thrown"};
}
#define EXPECT_ERROR(status, ...) expect_error(tpauth::Status::status, [&] { __VA_ARGS__; }, __LINE__)

static std::vector<std::pair<std::string, std::function<void()>>> &registry() {
  static std::vector<std::pair<std::string, std::function<void()>>> tests;
  return tests;
}
struct Register {
  Register(const char *name, std::function<void()> f) { registry().emplace_back(name, std::move(f)); }
};
#define TEST(name)                                  \
  static void test_##name();                        \
  static Register register_##name(#name, test_##name); \
  static void test_##name()

// ------------------------------------------------------------------------------------------------
// the mock's control endpoints, over a plain socket

static std::string g_base;  // http://127.0.0.1:PORT
static int g_port = 0;

struct HttpReply {
  int status = 0;
  std::string head;
  std::string body;
};

static HttpReply mock_http(const std::string &method, const std::string &path, const std::string &body = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Failure{"socket failed"};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(g_port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw Failure{"cannot connect to the mock"};
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  (void)!::send(fd, req.data(), req.size(), 0);
  std::string all;
  char buf[8192];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) all.append(buf, static_cast<size_t>(n));
  ::close(fd);
  HttpReply r;
  const size_t split = all.find("\r\n\r\n");
  if (all.size() < 12 || split == std::string::npos) throw Failure{"bad answer from the mock: " + all.substr(0, 80)};
  r.status = std::atoi(all.c_str() + 9);
  r.head = all.substr(0, split);
  r.body = all.substr(split + 4);
  return r;
}

static std::string mock_get(const std::string &path) { return mock_http("GET", path).body; }
static void mock_post(const std::string &path, const std::string &json) {
  const HttpReply r = mock_http("POST", path, json);
  if (r.status != 200) throw Failure{"mock " + path + " answered " + std::to_string(r.status) + ": " + r.body};
}
static void mock_reset() { mock_post("/_mock/reset", "{}"); }

// The integer after "key": in a JSON text (enough for the mock's flat counters).
static long json_int(const std::string &json, const std::string &key) {
  const std::string k = "\"" + key + "\":";
  const size_t at = json.find(k);
  if (at == std::string::npos) throw Failure{"no " + key + " in " + json};
  return std::strtol(json.c_str() + at + k.size(), nullptr, 10);
}
static long token_requests() { return json_int(mock_get("/_mock/stats"), "token_requests"); }

// The value of a response-head header, lower-cased name.
static std::string head_header(const std::string &head, const std::string &name) {
  std::istringstream in(head);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string n = line.substr(0, colon);
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (n == name) {
      std::string v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      if (!v.empty() && v.back() == '\r') v.pop_back();
      return v;
    }
  }
  return "";
}

static bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

static const char *const kSecrets[] = {"mock-api-secret", "mock-password", "wrong-secret-value", "wrong-password-value"};
static void check_no_secret(std::string_view text) {
  for (const char *s : kSecrets) {
    if (contains(text, s)) throw Failure{"a secret appears in: " + std::string(text)};
  }
}

static tpauth::Config mock_config(std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {}) {
  tpauth::Config cfg("mock-api-key", "mock-api-secret");
  cfg.set("api_base_url", g_base).set("authorize_url", g_base + "/authenticate").set("allow_insecure_http", "true");
  for (const auto &kv : extra) cfg.set(kv.first, kv.second);
  return cfg;
}
static tpauth::Auth mock_auth(std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {}) {
  return tpauth::Auth(mock_config(extra));
}
static tpauth::Auth user_auth(std::initializer_list<std::pair<std::string_view, std::string_view>> extra = {}) {
  tpauth::Config cfg = mock_config(extra);
  cfg.set("username", "user@example.com").set("password", "mock-password");
  return tpauth::Auth(cfg);
}

// ------------------------------------------------------------------------------------------------
// types

static_assert(!std::is_copy_constructible_v<tpauth::Config> && !std::is_copy_assignable_v<tpauth::Config>);
static_assert(!std::is_copy_constructible_v<tpauth::Auth> && !std::is_copy_assignable_v<tpauth::Auth>);
static_assert(!std::is_copy_constructible_v<tpauth::Token> && !std::is_copy_assignable_v<tpauth::Token>);
static_assert(!std::is_copy_constructible_v<tpauth::Response> && !std::is_copy_assignable_v<tpauth::Response>);
static_assert(std::is_nothrow_move_constructible_v<tpauth::Config> && std::is_nothrow_move_assignable_v<tpauth::Config>);
static_assert(std::is_nothrow_move_constructible_v<tpauth::Auth> && std::is_nothrow_move_assignable_v<tpauth::Auth>);
static_assert(std::is_nothrow_move_constructible_v<tpauth::Token> && std::is_nothrow_move_assignable_v<tpauth::Token>);
static_assert(std::is_nothrow_move_constructible_v<tpauth::Response> && std::is_nothrow_move_assignable_v<tpauth::Response>);
static_assert(std::is_base_of_v<std::runtime_error, tpauth::Error>);
// accessors on a temporary own their value; on an lvalue they borrow
static_assert(std::is_same_v<decltype(std::declval<tpauth::Token>().access_token()), std::string>);
static_assert(std::is_same_v<decltype(std::declval<tpauth::Token &>().access_token()), std::string_view>);
static_assert(std::is_same_v<decltype(std::declval<tpauth::Token>().refresh_token()), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(std::declval<tpauth::Response>().body()), std::string>);
static_assert(std::is_same_v<decltype(std::declval<const tpauth::Response &>().body()), std::string_view>);
static_assert(static_cast<int>(tpauth::Status::RateLimited) == 5 && static_cast<int>(tpauth::Status::Internal) == 13);

TEST(version_and_status_names) {
  const std::string_view v = tpauth::version();
  CHECK(std::count(v.begin(), v.end(), '.') == 2);
  CHECK(!v.empty() && std::isdigit(static_cast<unsigned char>(v.front())));
  CHECK_EQ(tpauth::status_name(tpauth::Status::RateLimited), "TP_ERR_RATE_LIMITED");
  CHECK_EQ(tpauth::status_name(tpauth::Status::InvalidGrant), "TP_ERR_INVALID_GRANT");
  CHECK_EQ(tpauth::status_name(tpauth::Status::Ok), "TP_OK");
}

TEST(moved_from_handles_are_empty_not_crashes) {
  mock_reset();
  tpauth::Auth auth = user_auth();
  tpauth::Token t = auth.get_token();
  CHECK(static_cast<bool>(t));
  tpauth::Token moved = std::move(t);
  CHECK(!t);  // NOLINT(bugprone-use-after-move): the point of the test
  CHECK(t.access_token().empty());
  CHECK(!t.refresh_token());
  CHECK(!t.expires_in());
  CHECK(t.is_expired());
  CHECK(!moved.access_token().empty());
  tpauth::Auth auth2 = std::move(auth);
  CHECK(!auth && static_cast<bool>(auth2));
  tpauth::Response r = auth2.request("GET", "/v1/private/business-units/x");
  tpauth::Response r2 = std::move(r);
  CHECK_EQ(r.status(), 0);  // NOLINT(bugprone-use-after-move)
  CHECK(r.body().empty());
  CHECK(!r.header("content-type"));
  CHECK_EQ(r2.status(), 200);
}

// ------------------------------------------------------------------------------------------------
// configuration errors

TEST(unknown_option_is_invalid_argument) {
  tpauth::Config cfg("mock-api-key", "mock-api-secret");
  const tpauth::Error e = EXPECT_ERROR(InvalidArgument, cfg.set("no_such_option", "1"));
  CHECK_EQ(e.http_status(), 0);
  CHECK(!e.oauth_code());
  CHECK(!e.retry_after());
  CHECK(contains(e.what(), "no_such_option"));
  // still usable after a refused option
  cfg.set("timeout_ms", "5000");
  EXPECT_ERROR(InvalidArgument, cfg.set("timeout_ms", "soon"));
  // catchable as std::runtime_error
  bool caught = false;
  try {
    cfg.set("nope", "x");
  } catch (const std::runtime_error &) {
    caught = true;
  }
  CHECK(caught);
}

TEST(embedded_nul_is_refused_not_truncated) {
  const std::string with_nul("mock-api-key\0tail", 17);
  EXPECT_ERROR(InvalidArgument, tpauth::Config(with_nul, "secret"));
  tpauth::Config cfg("mock-api-key", "mock-api-secret");
  EXPECT_ERROR(InvalidArgument, cfg.set("api_base_url", std::string("http://127.0.0.1\0:1", 20)));
}

TEST(insecure_http_refused_without_opt_in) {
  tpauth::Config cfg("mock-api-key", "mock-api-secret");
  cfg.set("username", "user@example.com").set("password", "mock-password");
  EXPECT_ERROR(InvalidArgument, {
    cfg.set("api_base_url", g_base);
    tpauth::Auth auth(cfg);
    auth.get_token();
  });
}

// ------------------------------------------------------------------------------------------------
// grants

TEST(password_grant_token_and_wire_bytes) {
  mock_reset();
  tpauth::Auth auth = mock_auth();
  const auto before = std::chrono::system_clock::now();
  tpauth::Token t = auth.password_grant("user@example.com", "mock-password");
  CHECK(!t.access_token().empty());
  CHECK(t.refresh_token().has_value() && !t.refresh_token()->empty());
  CHECK_EQ(t.token_type().value_or("?"), "BearerToken");
  CHECK_EQ(t.expires_in().value_or(-1), 359999);
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count();
  CHECK(t.expires_at().has_value());
  CHECK(*t.expires_at() >= now_s + 359999 - 1 && *t.expires_at() <= now_s + 359999 + 60);
  CHECK(t.expiry().has_value());
  CHECK(!t.is_expired());
  CHECK(!t.is_expired(60s));
  CHECK(t.is_expired(std::chrono::seconds(400000)));
  CHECK(contains(t.raw_json(), "\"organization_name\":\"mock\""));

  const std::string last = mock_get("/_mock/last_token_request");
  CHECK(contains(last, "\"path\":\"/v1/oauth/oauth-business-users-for-applications/accesstoken\""));
  CHECK(contains(last, "[\"authorization\",\"Basic bW9jay1hcGkta2V5Om1vY2stYXBpLXNlY3JldA==\"]"));
  CHECK(contains(last, "[\"content-type\",\"application/x-www-form-urlencoded"));
  CHECK(contains(last, "\"body\":\"grant_type=password&username=user%40example.com&password=mock-password\""));
  CHECK_EQ(token_requests(), 1);
}

TEST(password_with_reserved_and_non_ascii_characters) {
  mock_reset();
  const std::string pw = "p&s=w+o%rd \xC3\xBC/?#";  // "p&s=w+o%rd ü/?#"
  mock_post("/_mock/config", "{\"password\":\"p&s=w+o%rd \xC3\xBC/?#\"}");
  tpauth::Auth auth = mock_auth();
  std::string_view pw_view(pw);  // a view, not a NUL-terminated string: the wrapper copies it
  tpauth::Token t = auth.password_grant(std::string_view("user@example.comXX", 16), pw_view);
  CHECK(!t.access_token().empty());
  const std::string last = mock_get("/_mock/last_token_request");
  CHECK(contains(last, "&password=p%26s%3Dw%2Bo%25rd%20%C3%BC%2F%3F%23\""));
}

TEST(wrong_password_is_invalid_grant_without_secrets) {
  mock_reset();
  tpauth::Auth auth = mock_auth();
  const tpauth::Error e = EXPECT_ERROR(InvalidGrant, auth.password_grant("user@example.com", "wrong-password-value"));
  CHECK_EQ(e.http_status(), 400);
  CHECK_EQ(e.oauth_code().value_or("?"), "invalid_grant");
  CHECK(!e.retry_after());
  check_no_secret(e.what());
  CHECK_EQ(token_requests(), 1);  // never retried
}

TEST(wrong_secret_is_unauthorized_without_secrets) {
  mock_reset();
  tpauth::Config cfg("mock-api-key", "wrong-secret-value");
  cfg.set("api_base_url", g_base).set("allow_insecure_http", "true");
  tpauth::Auth auth(cfg);
  const tpauth::Error e = EXPECT_ERROR(Unauthorized, auth.password_grant("user@example.com", "mock-password"));
  CHECK_EQ(e.http_status(), 401);
  CHECK_EQ(e.oauth_code().value_or("?"), "invalid_client");
  check_no_secret(e.what());
}

TEST(errors_are_the_subclass_of_their_status) {
  mock_reset();
  tpauth::Auth auth = mock_auth({{"max_retries", "0"}});
  bool caught = false;
  try {
    auth.password_grant("user@example.com", "wrong-password-value");
  } catch (const tpauth::InvalidGrant &e) {
    caught = e.status() == tpauth::Status::InvalidGrant;
  }
  CHECK(caught);
  caught = false;
  try {
    tpauth::parse_code_redirect("https://x.example/cb?code=c&state=a", std::string_view("b"));
  } catch (const tpauth::RateLimited &) {
    CHECK(false);
  } catch (const tpauth::StateMismatch &) {
    caught = true;
  }
  CHECK(caught);
  static_assert(std::is_base_of_v<tpauth::Error, tpauth::RateLimited> && std::is_base_of_v<tpauth::Error, tpauth::NetworkError>);
}

TEST(rate_limited_carries_retry_after) {
  mock_reset();
  mock_post("/_mock/fault", R"({"kind":"429","count":1,"retry_after":"7"})");
  tpauth::Auth auth = mock_auth({{"max_retries", "0"}});
  const tpauth::Error e = EXPECT_ERROR(RateLimited, auth.password_grant("user@example.com", "mock-password"));
  CHECK_EQ(e.http_status(), 429);
  CHECK(e.retry_after().has_value());
  CHECK_EQ(e.retry_after()->count(), 7000);
  CHECK_EQ(e.status_name(), "TP_ERR_RATE_LIMITED");
}

TEST(protocol_error_on_unusable_2xx) {
  mock_reset();
  mock_post("/_mock/fault", R"({"kind":"no_access_token","count":1})");
  tpauth::Auth auth = mock_auth({{"max_retries", "0"}});
  EXPECT_ERROR(Protocol, auth.password_grant("user@example.com", "mock-password"));
}

TEST(network_error_and_timeout) {
  mock_reset();
  {
    // a port nothing listens on
    tpauth::Auth dead = tpauth::Auth("mock-api-key", "mock-api-secret",
                                     {{"api_base_url", "http://127.0.0.1:9"}, {"allow_insecure_http", "true"},
                                      {"max_retries", "0"}, {"connect_timeout_ms", "2000"}});
    const tpauth::Error e = EXPECT_ERROR(Network, dead.password_grant("user@example.com", "mock-password"));
    CHECK_EQ(e.http_status(), 0);
  }
  mock_post("/_mock/fault", R"({"kind":"slow","count":1,"delay_ms":3000})");
  tpauth::Auth auth = mock_auth({{"max_retries", "0"}, {"timeout_ms", "300"}});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_ERROR(Timeout, auth.password_grant("user@example.com", "mock-password"));
  CHECK(std::chrono::steady_clock::now() - start < 2500ms);
}

TEST(refresh_rotates_and_revoke_voids) {
  mock_reset();
  tpauth::Auth auth = mock_auth();
  tpauth::Token t1 = auth.password_grant("user@example.com", "mock-password");
  const std::string rt1(t1.refresh_token().value());
  tpauth::Token t2 = auth.refresh();  // the current token's refresh token
  CHECK(contains(mock_get("/_mock/last_token_request"), "\"body\":\"grant_type=refresh_token&refresh_token=" + rt1 + "\""));
  CHECK(contains(mock_get("/_mock/last_token_request"), "/refresh\""));
  const std::string rt2(t2.refresh_token().value());
  CHECK(rt2 != rt1);
  CHECK(t2.access_token() != t1.access_token());
  // the rotated refresh token is void
  const tpauth::Error e = EXPECT_ERROR(InvalidGrant, auth.refresh(std::string_view(rt1)));
  CHECK_EQ(e.oauth_code().value_or("?"), "invalid_grant");
  // revoke the current one
  auth.revoke(std::string_view(rt2));
  const std::string last = mock_get("/_mock/last_token_request");
  CHECK(contains(last, "/revoke\""));
  CHECK(contains(last, "\"body\":\"token=" + rt2 + "\""));
  EXPECT_ERROR(InvalidGrant, auth.refresh(std::string_view(rt2)));
}

TEST(client_credentials_has_no_refresh_token) {
  mock_reset();
  tpauth::Auth auth = mock_auth({{"business_user_id", "mock-business-user-id"}});
  tpauth::Token t = auth.client_credentials_grant();
  CHECK(!t.access_token().empty());
  CHECK(!t.refresh_token());
  CHECK(contains(mock_get("/_mock/last_token_request"), "\"body\":\"grant_type=client_credentials\""));
  tpauth::Response r = auth.request("GET", "/v1/private/business-units/abc");
  CHECK_EQ(r.status(), 200);
  CHECK(contains(r.body(), "\"business_user_id\":\"mock-business-user-id\""));
  EXPECT_ERROR(NoToken, auth.refresh());
}

TEST(no_grant_configured_is_no_token) {
  mock_reset();
  tpauth::Auth auth = mock_auth({{"grant", "none"}});
  EXPECT_ERROR(NoToken, auth.get_token());
  CHECK_EQ(token_requests(), 0);
}

// ------------------------------------------------------------------------------------------------
// managed token and API calls

TEST(managed_token_one_request_for_many_threads) {
  mock_reset();
  const tpauth::Auth auth = user_auth();
  std::mutex mu;
  std::set<std::string> seen;
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        try {
          tpauth::Token tok = auth.get_token();
          tpauth::Response r = auth.request("GET", "/v1/private/business-units/abc/reviews");
          {
            std::lock_guard<std::mutex> lock(mu);
            seen.emplace(tok.access_token());
          }
          (r.status() == 200 ? ok : bad)++;
        } catch (...) {
          bad++;
        }
      }
    });
  }
  for (auto &th : pool) th.join();
  CHECK_EQ(ok.load(), 32);
  CHECK_EQ(bad.load(), 0);
  CHECK_EQ(seen.size(), 1u);
  CHECK_EQ(token_requests(), 1);
  CHECK_EQ(json_int(mock_get("/_mock/stats"), "api_requests"), 32);
}

TEST(request_sends_body_and_reads_headers) {
  mock_reset();
  const tpauth::Auth auth = user_auth();
  tpauth::Response r = auth.request("POST", "/v1/private/business-units/abc/replies", std::string_view("{\"m\":\"hi\"}"),
                                    std::string_view("application/json"));
  CHECK_EQ(r.status(), 200);
  CHECK(r.ok());
  CHECK(contains(r.body(), "\"method\":\"POST\""));
  CHECK(contains(r.body(), "\"path\":\"/v1/private/business-units/abc/replies\""));
  CHECK(contains(r.body(), "\"content_type\":\"application/json\""));
  CHECK(r.header("Content-Type").has_value());
  CHECK_EQ(r.header("CONTENT-TYPE").value_or(""), r.header("content-type").value_or("?"));
  CHECK(!r.header("x-no-such-header"));
  const auto hs = r.headers();
  CHECK(!hs.empty());
  bool has_ct = false;
  for (const auto &h : hs) {
    CHECK(std::none_of(h.first.begin(), h.first.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }));
    has_ct = has_ct || h.first == "content-type";
  }
  CHECK(has_ct);
  // the wire: Bearer token and apikey
  const std::string last = mock_get("/_mock/last_api_request");
  CHECK(contains(last, "[\"apikey\",\"mock-api-key\"]"));
  CHECK(contains(last, "[\"authorization\",\"Bearer "));
  // on a temporary, the accessors own their values
  std::string body = auth.request("GET", "/v1/x").body();
  CHECK(contains(body, "\"method\":\"GET\""));
  std::optional<std::string> ct = auth.request("GET", "/v1/x").header("content-type");
  CHECK(ct.has_value());
  // a body is sent byte for byte, NUL bytes included
  tpauth::Response bin = auth.request("PUT", "/v1/bin", std::string_view("a\0b", 3), std::string_view("application/octet-stream"));
  CHECK(contains(bin.body(), "\"body\":\"a\\u0000b\""));
  // a non-2xx API answer is a Response, not an exception
  mock_post("/_mock/fault", R"({"kind":"html_500","count":1,"target":"api"})");
  tpauth::Response err500 = auth.request("GET", "/v1/y");
  CHECK_EQ(err500.status(), 500);
  CHECK(!err500.ok());
}

TEST(request_renews_once_on_401) {
  mock_reset();
  const tpauth::Auth auth = user_auth();
  CHECK_EQ(auth.request("GET", "/v1/a").status(), 200);
  CHECK_EQ(token_requests(), 1);
  mock_post("/_mock/expire", "{}");
  tpauth::Response r = auth.request("GET", "/v1/b");
  CHECK_EQ(r.status(), 200);
  CHECK_EQ(token_requests(), 2);
  const std::string stats = mock_get("/_mock/stats");
  CHECK_EQ(json_int(stats, "api_401"), 1);
}

TEST(invalidate_set_token_and_json_roundtrip) {
  mock_reset();
  const tpauth::Auth auth = user_auth();
  tpauth::Token t1 = auth.get_token();
  CHECK_EQ(auth.get_token().access_token(), std::string(t1.access_token()));
  auth.invalidate_token(t1.access_token());
  tpauth::Token t2 = auth.get_token();
  CHECK(t2.access_token() != t1.access_token());
  CHECK_EQ(token_requests(), 2);

  // a token saved as JSON and restored into another client is used without a token request
  const std::string saved = t2.to_json();
  tpauth::Token restored = tpauth::Token::from_json(saved);
  CHECK_EQ(restored.access_token(), t2.access_token());
  CHECK_EQ(restored.refresh_token().value_or(""), t2.refresh_token().value_or("?"));
  CHECK_EQ(restored.expires_at().value_or(-1), t2.expires_at().value_or(-2));
  CHECK_EQ(restored.token_type().value_or(""), t2.token_type().value_or("?"));
  tpauth::Auth other = mock_auth({{"grant", "none"}});
  other.set_token(restored);
  CHECK_EQ(other.get_token().access_token(), std::string(t2.access_token()));
  CHECK_EQ(other.request("GET", "/v1/c").status(), 200);
  CHECK_EQ(token_requests(), 2);

  EXPECT_ERROR(InvalidArgument, tpauth::Token::from_json("not json"));
}

// ------------------------------------------------------------------------------------------------
// browser flows

TEST(authorization_code_flow) {
  mock_reset();
  // a redirect_uri must be https, unless a loopback listener is explicitly allowed (RFC 8252)
  EXPECT_ERROR(InvalidArgument, mock_auth().authorize_url("http://127.0.0.1:1/callback", "code"));
  const tpauth::Auth auth = mock_auth({{"allow_loopback_redirect_uri", "true"}});
  const std::string state = tpauth::new_state();
  CHECK(state.size() >= 22);
  CHECK(std::all_of(state.begin(), state.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }));
  CHECK(tpauth::new_state() != state);
  const std::string redirect_uri = "http://127.0.0.1:1/callback";
  const std::string url = auth.authorize_url(redirect_uri, "code", std::string_view(state));
  CHECK(url.rfind(g_base + "/authenticate?", 0) == 0);
  CHECK(contains(url, "client_id=mock-api-key"));
  CHECK(contains(url, "response_type=code"));
  CHECK(contains(url, "state=" + state));
  CHECK(contains(url, "redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback"));

  const HttpReply page = mock_http("GET", url.substr(g_base.size()));
  CHECK_EQ(page.status, 302);
  const std::string location = head_header(page.head, "location");
  CHECK(location.rfind(redirect_uri + "?", 0) == 0);

  EXPECT_ERROR(StateMismatch, tpauth::parse_code_redirect(location, std::string_view("another-state")));
  const std::string code = tpauth::parse_code_redirect(location, std::string_view(state));
  CHECK(!code.empty());
  CHECK_EQ(tpauth::parse_code_redirect(location), code);

  tpauth::Token t = auth.authorization_code_grant(code, redirect_uri);
  CHECK(!t.access_token().empty());
  CHECK(contains(mock_get("/_mock/last_token_request"),
                 "grant_type=authorization_code&code=" + code + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback"));
  // a code works once
  EXPECT_ERROR(InvalidGrant, auth.authorization_code_grant(code, redirect_uri));
  // a non-loopback http redirect_uri is refused before any request
  const long before = token_requests();
  EXPECT_ERROR(InvalidArgument, auth.authorization_code_grant("x", "http://example.com/cb"));
  CHECK_EQ(token_requests(), before);
  // the user declined
  EXPECT_ERROR(AccessDenied,
               tpauth::parse_code_redirect(redirect_uri + "?error=access_denied&error_description=no&state=" + state,
                                           std::string_view(state)));
}

TEST(pkce) {
  mock_reset();
  const tpauth::Auth auth = mock_auth();
  const tpauth::Pkce p = tpauth::new_pkce();
  CHECK_EQ(p.verifier.size(), 43u);
  CHECK_EQ(p.challenge.size(), 43u);
  const std::string redirect_uri = "https://app.example.com/cb";
  const std::string url = auth.authorize_url(redirect_uri, "code", std::string_view("st"), std::string_view(p.challenge));
  CHECK(contains(url, "&code_challenge=" + p.challenge + "&code_challenge_method=S256"));
  auto code_of = [&] {
    const HttpReply page = mock_http("GET", url.substr(g_base.size()));
    return tpauth::parse_code_redirect(head_header(page.head, "location"), std::string_view("st"));
  };
  EXPECT_ERROR(InvalidGrant, auth.authorization_code_grant(code_of(), redirect_uri, std::string_view(tpauth::new_pkce().verifier)));
  CHECK(!auth.authorization_code_grant(code_of(), redirect_uri, std::string_view(p.verifier)).access_token().empty());
  CHECK(contains(mock_get("/_mock/last_token_request"), "&code_verifier=" + p.verifier));
}

TEST(implicit_flow) {
  mock_reset();
  const tpauth::Auth auth = mock_auth({{"allow_loopback_redirect_uri", "true"}});
  const std::string state = tpauth::new_state();
  const std::string redirect_uri = "http://127.0.0.1:1/cb";
  const std::string url = auth.authorize_url(redirect_uri, "token", std::string_view(state));
  CHECK(contains(url, "response_type=token"));
  const HttpReply page = mock_http("GET", url.substr(g_base.size()));
  CHECK_EQ(page.status, 302);
  const std::string location = head_header(page.head, "location");
  CHECK(contains(location, "#access_token="));
  tpauth::Token t = tpauth::parse_implicit_redirect(location, std::string_view(state));
  CHECK(!t.access_token().empty());
  CHECK(t.expires_in().has_value());
  EXPECT_ERROR(StateMismatch, tpauth::parse_implicit_redirect(location, std::string_view("nope")));
  EXPECT_ERROR(InvalidArgument, auth.authorize_url(redirect_uri, "bogus"));
}

// ------------------------------------------------------------------------------------------------
// logging and exception paths

TEST(log_callback_gets_events_without_secrets) {
  mock_reset();
  std::mutex mu;
  std::vector<std::string> lines;
  tpauth::set_log_callback([&](tpauth::LogLevel level, std::string_view msg) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(std::to_string(static_cast<int>(level)) + " " + std::string(msg));
  });
  std::string access;
  {
    tpauth::Auth auth = user_auth();
    access = auth.get_token().access_token();
    mock_post("/_mock/expire", "{}");
    (void)auth.request("GET", "/v1/x");
    EXPECT_ERROR(InvalidGrant, auth.password_grant("user@example.com", "wrong-password-value"));
  }
  tpauth::set_log_callback(nullptr);
  std::lock_guard<std::mutex> lock(mu);
  CHECK(!lines.empty());
  for (const auto &l : lines) {
    check_no_secret(l);
    CHECK(!contains(l, access));
    const int lvl = std::atoi(l.c_str());
    CHECK(lvl >= 1 && lvl <= 4);
  }
  const size_t n = lines.size();
  tpauth::Auth auth = user_auth();
  (void)auth.get_token();
  CHECK_EQ(lines.size(), n);  // removed: nothing more arrives
}

TEST(throwing_log_callback_is_contained) {
  mock_reset();
  tpauth::set_log_callback([](tpauth::LogLevel, std::string_view) { throw std::runtime_error("boom"); });
  tpauth::Auth auth = user_auth();
  CHECK(!auth.get_token().access_token().empty());
  tpauth::set_log_callback({});
}

TEST(many_failures_leak_nothing) {
  // LeakSanitizer checks at exit that every error, string and handle of these paths was freed.
  mock_reset();
  tpauth::Auth auth = mock_auth({{"max_retries", "0"}});
  for (int i = 0; i < 50; ++i) {
    EXPECT_ERROR(InvalidGrant, auth.password_grant("user@example.com", "wrong-password-value"));
    EXPECT_ERROR(InvalidArgument, tpauth::Config("k", "s").set("bogus", "1"));
    EXPECT_ERROR(StateMismatch, tpauth::parse_code_redirect("https://x.example/cb?code=c&state=a", std::string_view("b")));
    EXPECT_ERROR(InvalidArgument, auth.request("GET", std::string("/v1/\0x", 7)));
  }
}

// ------------------------------------------------------------------------------------------------

int main() {
  const char *base = std::getenv("TPAUTH_MOCK_URL");
  if (!base || std::strncmp(base, "http://127.0.0.1:", 17) != 0) {
    std::cerr << "set TPAUTH_MOCK_URL=http://127.0.0.1:PORT (a running `tpauth mock`)\n";
    return 2;
  }
  g_base = base;
  g_port = std::atoi(base + 17);
  const char *only = std::getenv("TPAUTH_TEST_FILTER");
  int passed = 0, failed = 0;
  for (const auto &[name, fn] : registry()) {
    if (only && !contains(name, only)) continue;
    try {
      fn();
      ++passed;
      std::cout << "ok      " << name << '\n';
    } catch (const Failure &f) {
      ++failed;
      std::cout << "FAILED  " << name << ": " << f.what << '\n';
    } catch (const tpauth::Error &e) {
      ++failed;
      std::cout << "FAILED  " << name << ": unexpected tpauth::Error " << e.status_name() << ": " << e.what() << '\n';
    } catch (const std::exception &e) {
      ++failed;
      std::cout << "FAILED  " << name << ": unexpected exception: " << e.what() << '\n';
    }
  }
  std::cout << "cpp: " << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
