'use strict'
// trustpilot-auth: the native module (native.js loads this platform's .node, built from src/lib.rs)
// plus what is JavaScript by nature: the error classes, auth.fetch (a drop-in for the global
// fetch) and useTpauth (axios). Every rule (options, hosts, renewal) is the Rust core's.

const native = require('./native.js')
const { inspect } = require('util')

const { Auth, Token, ApiResponse } = native

// The status table is the core's (tpauth::Status::ALL): Status, the `code` names and one error
// class per status are built from it, so a status added to the core needs no change here.
const STATUSES = native.__statuses()

/** The C ABI's tp_status numbers (fixed forever), by name. */
const Status = Object.freeze(Object.fromEntries(STATUSES.map(({ name, code }) => [name, code])))
/** Each number's C name: TP_OK, TP_ERR_INVALID_ARGUMENT, ... */
const STATUS_NAMES = Object.fromEntries(STATUSES.map(({ code, cName }) => [code, cName]))

/**
 * Base of every tpauth error: `status` (a Status number), `code` ("TP_ERR_INVALID_GRANT"),
 * `httpStatus` (null when there was none), `oauthCode` ("invalid_grant", or null),
 * `retryAfter` (seconds the server asked to wait, or null). Messages never hold a secret.
 */
class TpauthError extends Error {
  constructor(message, { status, httpStatus = null, oauthCode = null, retryAfter = null } = {}) {
    super(message)
    const s = status ?? new.target.defaultStatus ?? Status.INTERNAL
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true, writable: true })
    this.status = s
    this.code = STATUS_NAMES[s] ?? STATUS_NAMES[Status.INTERNAL]
    this.httpStatus = httpStatus
    this.oauthCode = oauthCode
    this.retryAfter = retryAfter
  }
}

const errorClasses = { TpauthError }
const byStatus = {}
for (const { code, name } of STATUSES) {
  if (code === Status.OK) continue
  // INVALID_ARGUMENT -> InvalidArgumentError: a named class per status, `class X extends TpauthError {}`.
  const cls = name.split('_').map((w) => w[0] + w.slice(1).toLowerCase()).join('') + 'Error'
  const C = { [cls]: class extends TpauthError {} }[cls]
  C.defaultStatus = code
  errorClasses[cls] = C
  byStatus[code] = C
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
    // apiBaseUrl as the core redacts it (userinfo as ***, no query or fragment).
    return `Auth ${inspect({ apiKey: this.apiKey, apiBaseUrl: this.__shownApiBaseUrl(), businessUserId: this.businessUserId }, options)}`
  },
})
Object.defineProperty(ApiResponse.prototype, custom, {
  value: function (depth, options) {
    return `ApiResponse ${inspect({ status: this.status, headers: this.headers, bodyLength: this.body.length }, options)}`
  },
})

// ---- auth.fetch ------------------------------------------------------------------------------------

/** Whether a fetch body can be sent a second time (a stream cannot). */
function replayable(body) {
  return body === undefined || body === null || typeof body === 'string' || ArrayBuffer.isView(body) ||
    body instanceof ArrayBuffer || body instanceof URLSearchParams ||
    (typeof Blob !== 'undefined' && body instanceof Blob) || (typeof FormData !== 'undefined' && body instanceof FormData)
}

/** Set the core's headers on a Headers-like object (each replaces the request's header of that name). */
function setAll(set, pairs) {
  for (const [k, v] of pairs) set(k, v)
}

/**
 * `auth.fetch(input, init)`: the global fetch with `Authorization`, `apikey` (and
 * `x-business-user-id`) added. The core judges the URL: a path ("/v1/…") is joined to apiBaseUrl,
 * an absolute URL must pass its host rule, and anything a reader could take for another host
 * (`https:host/x`, `//host/x`, ...) rejects with InvalidArgumentError; the request goes to the URL
 * the core judged. On 401 the token is invalidated, renewed once and the request sent again (when
 * its body can be replayed).
 */
Object.defineProperty(Auth.prototype, 'fetch', {
  writable: true,
  configurable: true,
  value: async function fetch(input, init) {
    const isRequest = typeof Request !== 'undefined' && input instanceof Request
    const given = isRequest ? input.url : String(input instanceof URL ? input.href : input)
    const method = init?.method ?? (isRequest ? input.method : 'GET')
    const canReplay = isRequest ? input.body === null : replayable(init?.body)
    const own = new Headers(init?.headers ?? (isRequest ? input.headers : undefined))
    const names = [...own.keys()]
    const send = (call) => {
      const headers = new Headers(own)
      setAll((k, v) => headers.set(k, v), call.headers)
      if (isRequest) {
        // A Request's url is absolute, and the core answers an absolute URL as it was given.
        if (call.url !== input.url) throw new errorClasses.InvalidArgumentError(`fetch: the URL to send differs from the request's`)
        return globalThis.fetch(new Request(input.clone(), { ...init, headers }))
      }
      return globalThis.fetch(call.url, { ...init, headers })
    }
    let call = await this.__prepareApiCall(method, given, names)
    const resp = await send(call)
    if (resp.status !== 401 || !canReplay) return resp
    await resp.body?.cancel().catch(() => {})
    await this.invalidateToken(call.accessToken)
    call = await this.__prepareApiCall(method, given, names)
    return send(call)
  },
})

// ---- axios ------------------------------------------------------------------------------------------

/** The names of the headers an axios config carries (AxiosHeaders or a plain object). */
function axiosHeaderNames(headers) {
  if (!headers) return []
  const plain = typeof headers.toJSON === 'function' ? headers.toJSON() : headers
  return Object.keys(plain).filter((k) => typeof plain[k] !== 'object' || plain[k] === null)
}

/**
 * `useTpauth(axiosInstance, auth)`: an axios request interceptor that adds the token headers (the
 * core judges the request's full URL, and the request goes to the URL it judged), and a response
 * interceptor that, on 401, invalidates the token and sends the request once more. Returns a
 * function that removes both.
 */
function useTpauth(instance, auth) {
  if (!instance || !instance.interceptors) throw new TypeError('useTpauth: expected an axios instance')
  if (!(auth instanceof Auth)) throw new TypeError('useTpauth: expected a trustpilot-auth Auth')
  const RETRIED = Symbol.for('trustpilot-auth.retried')
  const req = instance.interceptors.request.use(async (config) => {
    // The full URL axios would send to (baseURL, url and params), judged by the core.
    const full = typeof instance.getUri === 'function' ? instance.getUri(config) : (config.baseURL ?? '') + (config.url ?? '')
    const call = await auth.__prepareApiCall((config.method ?? 'get').toUpperCase(), full, axiosHeaderNames(config.headers))
    // Send to that URL and nothing else: it already holds the params, and no baseURL may be
    // combined with it again.
    config.url = call.url
    config.baseURL = undefined
    config.params = undefined
    if (config.headers && typeof config.headers.set === 'function') {
      setAll((k, v) => config.headers.set(k, v), call.headers)
    } else {
      const own = { ...(config.headers || {}) }
      for (const [k, v] of call.headers) {
        for (const name of Object.keys(own)) if (name.toLowerCase() === k.toLowerCase()) delete own[name]
        own[k] = v
      }
      config.headers = own
    }
    return config
  })
  const res = instance.interceptors.response.use(undefined, async (error) => {
    const config = error && error.config
    if (error?.response?.status === 401 && config && !config[RETRIED]) {
      config[RETRIED] = true
      const h = config.headers
      const sent = (h && typeof h.get === 'function' ? h.get('authorization') : (h?.Authorization ?? h?.authorization)) || ''
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
