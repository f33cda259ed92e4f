// The C++ header's cached auth.get_token() next to the C call it wraps (tp_get_token +
// tp_token_free), in one run, one thread: the median of 2,000 batches of 1,000 calls, in ns. Prints
// one JSON object (bench/all.py reads it). Needs the mock (TPAUTH_MOCK_PORT) for the first token.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tpauth.hpp"

template <typename F>
static double median_ns(F call) {
  std::vector<double> samples;
  for (int r = 0; r < 2000; r++) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 1000; i++) call();
    samples.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / 1000);
  }
  std::nth_element(samples.begin(), samples.begin() + samples.size() / 2, samples.end());
  return samples[samples.size() / 2];
}

int main() {
  const char *port = std::getenv("TPAUTH_MOCK_PORT");
  if (!port) {
    std::fprintf(stderr, "TPAUTH_MOCK_PORT is not set\n");
    return 2;
  }
  std::string base = std::string("http://127.0.0.1:") + port;
  tpauth::Auth auth("mock-api-key", "mock-api-secret",
                    {{"api_base_url", base}, {"allow_insecure_http", "true"}, {"username", "user@example.com"},
                     {"password", "mock-password"}});
  auth.get_token();  // the one token request
  double cpp = median_ns([&] { auto t = auth.get_token(); (void)t; });
  tp_auth *raw = auth.get();
  double c = median_ns([&] {
    tp_token *t = nullptr;
    if (tp_get_token(raw, &t, nullptr) != TP_OK) std::exit(1);
    tp_token_free(t);
  });
  std::printf("{\"cpp_cached_ns\": %.1f, \"c_cached_ns\": %.1f}\n", cpp, c);
  return 0;
}
