"""The dist suite's Python check: a password grant, then an API call with that token (the mock's URL
and credentials come from the environment tests/dist/lib.sh sets)."""

import os

import tpauth

auth = tpauth.Auth(
    os.environ["TRUSTPILOT_API_KEY"],
    os.environ["TRUSTPILOT_API_SECRET"],
    api_base_url=os.environ["MOCK_URL"],
    allow_insecure_http=True,
)
print("version", tpauth.__version__)
tok = auth.password_grant(os.environ["TRUSTPILOT_USERNAME"], os.environ["TRUSTPILOT_PASSWORD"])
print("grant", tok.token_type)
resp = auth.request("GET", "/v1/private/business-units/dist-check")
print("api", resp.status, resp.text)
