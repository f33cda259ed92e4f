"""A client of `tpauth serve` in another language, with Python's standard library alone: prints
the access token from GET /v1/token. Usage: client.py unix:/path | tcp:HOST:PORT [BEARER_FILE]"""

import http.client
import json
import socket
import sys


class UnixConnection(http.client.HTTPConnection):
    """HTTP/1.1 over a Unix socket (Host: localhost)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=60)
        self.socket_path = path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.socket_path)
        self.sock = s


def main() -> int:
    target = sys.argv[1]
    headers = {"X-Tpauth-Request": "true"}
    if target.startswith("unix:"):
        conn: http.client.HTTPConnection = UnixConnection(target[len("unix:"):])
    else:
        host, port = target[len("tcp:"):].rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        with open(sys.argv[2]) as f:
            headers["Authorization"] = "Bearer " + f.read().strip()
    conn.request("GET", "/v1/token", headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        print(f"{resp.status}: {body!r}", file=sys.stderr)
        return 1
    print(json.loads(body)["access_token"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
