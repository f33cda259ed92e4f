// The declarations use Node's types (Buffer, fetch's RequestInit and Response, ...): referenced
// here, so a project whose tsconfig lists other `types` (or none) still compiles. They come from
// @types/node (an optional peer dependency: TypeScript users have it).
/// <reference types="node" />
// trustpilot-auth: the native classes and functions are declared in native.d.ts, generated from
// src/lib.rs by `napi build`; this file adds what index.js defines in JavaScript.

import type { Auth } from './native'

export * from './native'

/**
 * The client's options: the core's option keys in camelCase (`apiBaseUrl` for `api_base_url`,
 * `timeoutMs` for `timeout_ms`, `tokenCache`, `refreshLeewayS`, ...). Which keys exist and which
 * values they take is the core's to say: an unknown key throws `InvalidArgumentError`.
 */
export interface AuthOptions {
  apiKey: string
  apiSecret: string
  apiBaseUrl?: string | null
  authorizeUrl?: string | null
  username?: string | null
  password?: string | null
  grant?: 'password' | 'client_credentials' | 'none' | null
  businessUserId?: string | null
  tokenCache?: string | null
  /** Extra hosts (`host` or `host:port`, comma-separated) that may receive the token (fetch, request, useTpauth). */
  tokenHosts?: string | null
  timeoutMs?: number | null
  allowInsecureHttp?: boolean | null
  [option: string]: string | number | boolean | null | undefined
}

/** `auth.request`'s options. */
export interface RequestOptions {
  /** A string (sent as UTF-8), a Buffer or a Uint8Array. */
  body?: string | Uint8Array | null
  contentType?: string | null
}

declare module './native' {
  interface Auth {
    /**
     * A drop-in for the global `fetch`: `Authorization`, `apikey` (and `x-business-user-id`)
     * added; a path is joined to `apiBaseUrl`; a host the core's host rule refuses rejects with
     * `InvalidArgumentError` before anything is sent; on 401 the token is renewed once and the
     * request sent again (when its body can be replayed).
     */
    fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  }
}

// ---- statuses: begin
// Generated from tpauth::Status::ALL by scripts/gen-headers.sh (tests/header.rs). Do not edit by hand.
/** The C ABI's tp_status numbers. */
export declare const Status: Readonly<{
  OK: 0
  INVALID_ARGUMENT: 1
  NETWORK: 2
  TIMEOUT: 3
  UNAUTHORIZED: 4
  RATE_LIMITED: 5
  INVALID_GRANT: 6
  HTTP: 7
  PROTOCOL: 8
  STATE_MISMATCH: 9
  ACCESS_DENIED: 10
  NO_TOKEN: 11
  STORE: 12
  INTERNAL: 13
}>

export interface TpauthErrorInit {
  status?: number
  httpStatus?: number | null
  oauthCode?: string | null
  retryAfter?: number | null
}

/** Base of every tpauth error. Messages never hold a secret. */
export declare class TpauthError extends Error {
  constructor(message?: string, init?: TpauthErrorInit)
  /** A `Status` number. */
  readonly status: number
  /** `"TP_ERR_INVALID_GRANT"` etc. */
  readonly code: string
  /** The HTTP status of the answer, or null when there was none. */
  readonly httpStatus: number | null
  /** `"invalid_grant"`, `"invalid_client"`, ... or null. */
  readonly oauthCode: string | null
  /** Seconds the server asked to wait (`Retry-After`), or null. */
  readonly retryAfter: number | null
}
export declare class InvalidArgumentError extends TpauthError {}
export declare class NetworkError extends TpauthError {}
export declare class TimeoutError extends TpauthError {}
export declare class UnauthorizedError extends TpauthError {}
export declare class RateLimitedError extends TpauthError {}
export declare class InvalidGrantError extends TpauthError {}
export declare class HttpError extends TpauthError {}
export declare class ProtocolError extends TpauthError {}
export declare class StateMismatchError extends TpauthError {}
export declare class AccessDeniedError extends TpauthError {}
export declare class NoTokenError extends TpauthError {}
export declare class StoreError extends TpauthError {}
export declare class InternalError extends TpauthError {}
// ---- statuses: end

/** The structural part of an axios instance that `useTpauth` uses. */
export interface AxiosLike {
  interceptors: {
    request: { use(onFulfilled: (config: any) => any): number; eject(id: number): void }
    response: { use(onFulfilled: undefined, onRejected: (error: any) => any): number; eject(id: number): void }
  }
  getUri?(config?: any): string
  request(config: any): Promise<any>
}

/**
 * Adds the token headers to every request of an axios instance (the core's host rule applies to
 * the full URL), and renews and resends once on 401. Returns a function that removes both
 * interceptors.
 */
export declare function useTpauth(instance: AxiosLike, auth: Auth): () => void

/** The library's version. */
export declare const version: string
