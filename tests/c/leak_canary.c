/* A deliberate leak (a token never freed): run.sh checks that valgrind and LeakSanitizer, as it
 * runs them, report it. Proves that the clean runs of the suite mean something. */
#include "harness.h"

int main(void) {
  mock_init();
  tp_token *t = NULL;
  if (tp_token_from_json("{\"access_token\":\"canary-token\",\"expires_in\":\"60\"}", &t, NULL) != TP_OK) return 2;
  t = NULL; /* leaked on purpose */
  return 0;
}
