// The managed token shared by several threads (C++17, tpauth.hpp).
//
//   managed_token_threads [BASE_URL] [THREADS] [CALLS]   (or env TPAUTH_MOCK_URL)
//
// One tpauth::Auth is shared by every thread. Each thread makes API calls with auth.request(),
// which takes the client's managed token: the first callers find no token and wait while one of
// them runs the password grant; all later calls reuse that token until it nears expiry, when again
// one renewal serves everybody. A 401 from the API renews the token once and retries the call.
#include <tpauth.hpp>

#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

static std::string env_or(const char *name, const char *fallback) {
  const char *v = std::getenv(name);
  return v && *v ? v : fallback;
}

int main(int argc, char **argv) {
  const char *from_env = std::getenv("TPAUTH_MOCK_URL");
  const std::string base = argc > 1 ? argv[1] : from_env ? from_env : "";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 8;
  const int calls = argc > 3 ? std::atoi(argv[3]) : 5;
  try {
    tpauth::Config cfg(env_or("TRUSTPILOT_API_KEY", "mock-api-key"), env_or("TRUSTPILOT_API_SECRET", "mock-api-secret"));
    cfg.set("username", env_or("TRUSTPILOT_USERNAME", "user@example.com"))
        .set("password", env_or("TRUSTPILOT_PASSWORD", "mock-password"));
    if (!base.empty()) {
      cfg.set("api_base_url", base).set("authorize_url", base + "/authenticate");
      if (base.rfind("http://", 0) == 0) cfg.set("allow_insecure_http", "true");
    }
    const tpauth::Auth auth(cfg);

    std::mutex mu;
    std::set<std::string> tokens_seen;  // kept only to count them; never printed
    int ok = 0, failed = 0;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        for (int i = 0; i < calls; ++i) {
          try {
            tpauth::Token tok = auth.get_token();
            tpauth::Response r = auth.request("GET", "/v1/private/business-units/mock-business-unit/reviews?page=" +
                                                         std::to_string(t * calls + i + 1));
            std::lock_guard<std::mutex> lock(mu);
            tokens_seen.emplace(tok.access_token());
            (r.ok() ? ok : failed) += 1;
          } catch (const tpauth::Error &e) {
            std::lock_guard<std::mutex> lock(mu);
            std::cerr << "thread " << t << ": " << e.status_name() << ": " << e.what() << '\n';
            failed += 1;
          }
        }
      });
    }
    for (auto &th : pool) th.join();

    std::cout << threads << " threads made " << ok + failed << " API calls: " << ok << " ok, " << failed
              << " failed; distinct access tokens used: " << tokens_seen.size() << '\n';
    return failed == 0 && tokens_seen.size() == 1 ? 0 : 1;
  } catch (const tpauth::Error &e) {
    std::cerr << e.status_name() << ": " << e.what() << " (HTTP " << e.http_status() << ")\n";
    return 1;
  }
}
