'use strict'
// trustpilot-auth: the native module (native.js loads this platform's .node, built from src/lib.rs)
// plus what is JavaScript by nature: the error classes, auth.fetch (a drop-in for the global
// fetch) and useTpauth (axios). Every rule (options, hosts, renewal) is the Rust core's.

const native = require('./native.js')
const { inspect } = require('util')

const { Auth, Token, ApiResponse } = native

/** The C ABI's tp_status numbers (fixed forever), by name. */
const Status = Object.freeze({
  OK: 0,
  INVALID_ARGUMENT: 1,
  NETWORK: 2,
  TIMEOUT: 3,
  UNAUTHORIZED: 4,
  RATE_LIMITED: 5,
  INVALID_GRANT: 6,
  HTTP: 7,
  PROTOCOL: 8,
  STATE_MISMATCH: 9,
  ACCESS_DENIED: 10,
  NO_TOKEN: 11,
  STORE: 12,
  INTERNAL: 13,
})
const STATUS_NAMES = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, `TP_ERR_${k}`]))

/**
 * Base of every tpauth error: `status` (a Status number), `code` ("TP_ERR_INVALID_GRANT"),
 * `httpStatus` (null when there was no HTTP answer), `oauthCode` ("invalid_grant", or null),
 * `retryAfter` (seconds the server asked to wait, or null). Messages never hold a secret.
 */
class TpauthError extends Error {
  constructor(message, { status, httpStatus = null, oauthCode = null, retryAfter = null } = {}) {
    super(message)
    const s = status ?? new.target.defaultStatus ?? Status.INTERNAL
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true })
    this.status = s
    this.code = STATUS_NAMES[s] ?? 'TP_ERR_INTERNAL'
    this.httpStatus = httpStatus
    this.oauthCode = oauthCode
    this.retryAfter = retryAfter
  }
}

const errorClasses = { TpauthError }
const byStatus = {}
for (const [cls, status] of [
  ['InvalidArgumentError', Status.INVALID_ARGUMENT],
  ['NetworkError', Status.NETWORK],
  ['TimeoutError', Status.TIMEOUT],
  ['UnauthorizedError', Status.UNAUTHORIZED],
  ['RateLimitedError', Status.RATE_LIMITED],
  ['InvalidGrantError', Status.INVALID_GRANT],
  ['HttpError', Status.HTTP],
  ['ProtocolError', Status.PROTOCOL],
  ['StateMismatchError', Status.STATE_MISMATCH],
  ['AccessDeniedError', Status.ACCESS_DENIED],
  ['NoTokenError', Status.NO_TOKEN],
  ['StoreError', Status.STORE],
  ['InternalError', Status.INTERNAL],
]) {
  // A named class per status: `class X extends TpauthError {}` with X's name.
  const C = { [cls]: class extends TpauthError {} }[cls]
  C.defaultStatus = status
  errorClasses[cls] = C
  byStatus[status] = C
}

native.__registerErrorFactory((status, message, httpStatus, oauthCode, retryAfter) => {
  const C = byStatus[status] ?? errorClasses.InternalError
  return new C(message, { status, httpStatus, oauthCode, retryAfter })
})

// ---- getToken: the fast path ---------------------------------------------------------------------

// While the token is fresh, getToken() answers from JavaScript, without crossing into the native
// module: the Promise of the core's last answer, until the instant the core renews that token
// (__renewAtMs: the contract of tp_token_renew_at_ms, which lets a binding serve its copy until
// then provided it drops the copy whenever it invalidates, sets or obtains a token). Every method
// that may change the current token drops it, before and once more after its work; a copy taken
// by a call that began before a drop is never stored after it (the generation).
const kFast = Symbol('tpauth.fast')
const kGeneration = Symbol('tpauth.generation')
function dropFast(auth) {
  auth[kFast] = undefined
  auth[kGeneration] = (auth[kGeneration] || 0) + 1
}
const coreGetToken = Auth.prototype.getToken
Object.defineProperty(Auth.prototype, 'getToken', {
  writable: true,
  configurable: true,
  value: function getToken() {
    const fast = this[kFast]
    if (fast !== undefined && Date.now() < fast.renewAt) return fast.promise
    const generation = this[kGeneration]
    const promise = coreGetToken.call(this)
    promise.then((token) => {
      if (this[kGeneration] === generation) this[kFast] = { promise, renewAt: this.__renewAtMs(token) }
    }, () => {})
    return promise
  },
})
for (const name of ['passwordGrant', 'clientCredentialsGrant', 'authorizationCodeGrant', 'refresh', 'revoke', 'invalidateToken',
  'setToken', 'request']) {
  const core = Auth.prototype[name]
  Object.defineProperty(Auth.prototype, name, {
    writable: true,
    configurable: true,
    value: { [name](...args) {
      dropFast(this)
      const done = () => dropFast(this)
      const result = core.apply(this, args)
      if (result && typeof result.then === 'function') result.then(done, done)
      return result
    } }[name],
  })
}

// ---- util.inspect: never a secret ----------------------------------------------------------------

const custom = inspect.custom
Object.defineProperty(Token.prototype, custom, {
  value: function (depth, options) {
    const shown = {
      tokenType: this.tokenType,
      expiresIn: this.expiresIn,
      expiresAt: this.expiresAt,
      accessToken: '[redacted]',
      refreshToken: this.refreshToken === null ? null : '[redacted]',
    }
    return `Token ${inspect(shown, options)}`
  },
})
// JSON.stringify(token) gives the same redacted view; token.toJson() is the one that persists.
Object.defineProperty(Token.prototype, 'toJSON', {
  value: function () {
    return { tokenType: this.tokenType, expiresIn: this.expiresIn, expiresAt: this.expiresAt, accessToken: '[redacted]' }
  },
})
// ---- Token's strings: one JavaScript string per token ---------------------------------------------

// A token is immutable, so each string getter crosses into the native module once per token (one
// copy out of the core); later reads answer that same string from a slot on the object. The slot
// is a non-enumerable symbol: spread, Object.assign and JSON.stringify never copy it.
for (const name of ['accessToken', 'refreshToken', 'tokenType', 'rawJson']) {
  const fromCore = Object.getOwnPropertyDescriptor(Token.prototype, name).get
  const slot = Symbol(name)
  Object.defineProperty(Token.prototype, name, {
    configurable: true,
    enumerable: false,
    get() {
      const cached = this[slot] // the core answers a string or null, never undefined
      if (cached !== undefined) return cached
      const value = fromCore.call(this)
      Object.defineProperty(this, slot, { value })
      return value
    },
  })
}

Object.defineProperty(Auth.prototype, custom, {
  value: function (depth, options) {
    return `Auth ${inspect({ apiKey: this.apiKey, apiBaseUrl: this.apiBaseUrl, businessUserId: this.businessUserId }, options)}`
  },
})
Object.defineProperty(ApiResponse.prototype, custom, {
  value: function (depth, options) {
    return `ApiResponse ${inspect({ status: this.status, headers: this.headers, bodyLength: this.body.length }, options)}`
  },
})

// ---- auth.fetch ------------------------------------------------------------------------------------

function bearerOf(pairs) {
  const h = pairs.find(([k]) => k === 'authorization')
  return h ? h[1].replace(/^Bearer /, '') : ''
}

/** Whether a fetch body can be sent a second time (a stream cannot). */
function replayable(body) {
  return body === undefined || body === null || typeof body === 'string' || ArrayBuffer.isView(body) ||
    body instanceof ArrayBuffer || body instanceof URLSearchParams ||
    (typeof Blob !== 'undefined' && body instanceof Blob) || (typeof FormData !== 'undefined' && body instanceof FormData)
}

// tp_api_headers' merge rule: the core's headers replace the caller's of the same name, except a
// caller's own x-business-user-id (a call for another business user), which is kept.
const CALLERS_OWN_WINS = 'x-business-user-id'
function mergeApiHeaders(has, set, pairs) {
  for (const [k, v] of pairs) {
    if (k.toLowerCase() === CALLERS_OWN_WINS && has(k)) continue
    set(k, v)
  }
}

/**
 * `auth.fetch(input, init)`: the global fetch with `Authorization`, `apikey` (and
 * `x-business-user-id`) added. A path ("/v1/…") is joined to apiBaseUrl; an absolute URL must pass
 * the core's host rule (else InvalidArgumentError). On 401 the token is invalidated, renewed once
 * and the request sent again (when its body can be replayed).
 */
Object.defineProperty(Auth.prototype, 'fetch', {
  writable: true,
  configurable: true,
  value: async function fetch(input, init) {
    const isRequest = typeof Request !== 'undefined' && input instanceof Request
    let url = isRequest ? input.url : String(input instanceof URL ? input.href : input)
    if (url.startsWith('/')) url = this.apiBaseUrl.replace(/\/+$/, '') + url
    const canReplay = isRequest ? input.body === null : replayable(init?.body)
    const send = (pairs) => {
      const headers = new Headers(init?.headers ?? (isRequest ? input.headers : undefined))
      mergeApiHeaders((k) => headers.has(k), (k, v) => headers.set(k, v), pairs)
      const target = isRequest ? new Request(input.clone(), { ...init, headers }) : url
      return globalThis.fetch(target, isRequest ? undefined : { ...init, headers })
    }
    let pairs = await this.__fetchHeaders(url)
    const resp = await send(pairs)
    if (resp.status !== 401 || !canReplay) return resp
    await resp.body?.cancel().catch(() => {})
    await this.invalidateToken(bearerOf(pairs))
    pairs = await this.__fetchHeaders(url)
    return send(pairs)
  },
})

// ---- axios ------------------------------------------------------------------------------------------

/**
 * `useTpauth(axiosInstance, auth)`: an axios request interceptor that adds the token headers (the
 * core's host rule applies to the request's full URL), and a response interceptor that, on 401,
 * invalidates the token and sends the request once more. Returns a function that removes both.
 */
function useTpauth(instance, auth) {
  if (!instance || !instance.interceptors) throw new TypeError('useTpauth: expected an axios instance')
  if (!(auth instanceof Auth)) throw new TypeError('useTpauth: expected a trustpilot-auth Auth')
  const RETRIED = Symbol.for('trustpilot-auth.retried')
  const req = instance.interceptors.request.use(async (config) => {
    let url = typeof instance.getUri === 'function' ? instance.getUri(config) : (config.baseURL ?? '') + (config.url ?? '')
    if (url.startsWith('/')) url = auth.apiBaseUrl.replace(/\/+$/, '') + url
    const pairs = await auth.__fetchHeaders(url)
    if (config.headers && typeof config.headers.set === 'function') {
      mergeApiHeaders((k) => config.headers.has(k), (k, v) => config.headers.set(k, v), pairs)
    } else {
      const own = { ...(config.headers || {}) }
      const lower = new Set(Object.keys(own).map((k) => k.toLowerCase()))
      mergeApiHeaders((k) => lower.has(k.toLowerCase()), (k, v) => { own[k] = v }, pairs)
      config.headers = own
    }
    return config
  })
  const res = instance.interceptors.response.use(undefined, async (error) => {
    const config = error && error.config
    if (error?.response?.status === 401 && config && !config[RETRIED]) {
      config[RETRIED] = true
      const h = config.headers
      const sent = (h && typeof h.get === 'function' ? h.get('authorization') : h?.authorization) || ''
      await auth.invalidateToken(String(sent).replace(/^Bearer /, '') || '-')
      return instance.request(config)
    }
    throw error
  })
  return () => {
    instance.interceptors.request.eject(req)
    instance.interceptors.response.eject(res)
  }
}

module.exports = {
  Auth,
  Token,
  ApiResponse,
  Status,
  newState: native.newState,
  newPkce: native.newPkce,
  parseCodeRedirect: native.parseCodeRedirect,
  parseImplicitRedirect: native.parseImplicitRedirect,
  version: native.version(),
  useTpauth,
  ...errorClasses,
}
