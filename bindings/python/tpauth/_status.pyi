# Generated from tpauth::Status::ALL by scripts/gen-headers.sh (tests/header.rs). Do not edit by hand.
import enum

class Status(enum.IntEnum):
    OK = 0
    INVALID_ARGUMENT = 1
    NETWORK = 2
    TIMEOUT = 3
    UNAUTHORIZED = 4
    RATE_LIMITED = 5
    INVALID_GRANT = 6
    HTTP = 7
    PROTOCOL = 8
    STATE_MISMATCH = 9
    ACCESS_DENIED = 10
    NO_TOKEN = 11
    STORE = 12
    INTERNAL = 13
