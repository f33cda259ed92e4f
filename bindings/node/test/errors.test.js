'use strict'
// Every error class, as a caller meets it, with status / httpStatus / oauthCode / retryAfter; and
// no secret in any error, util.inspect or JSON output.
const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { inspect } = require('node:util')
const { tp, startMock, opts, rejectsWith, USER, PASSWORD, SECRET, REPO } = require('./helpers')

let mock
before(async () => { mock = await startMock() })
after(() => mock.stop())
beforeEach(() => mock.reset())

/** Every error and object a test produced, checked for secrets at the end. */
const seen = []
const WRONG_PASSWORD = 'wrong-password-Zq81x'
const WRONG_SECRET = 'wrong-secret-Vb55q'

function check(e, cls, { status, httpStatus = null, oauthCode = null }) {
  assert.ok(e instanceof cls && e instanceof tp.TpauthError && e instanceof Error)
  assert.equal(e.name, cls.name)
  assert.equal(e.status, status)
  assert.equal(e.code, Object.entries(tp.Status).map(([k, v]) => v === status && `TP_ERR_${k}`).find(Boolean))
  assert.equal(e.httpStatus, httpStatus)
  assert.equal(e.oauthCode, oauthCode)
  assert.ok(e.message.length > 10)
  seen.push(e)
}

test('InvalidArgumentError: an unknown option, a refused value, an http redirect_uri, a bad body', async () => {
  let e = await rejectsWith(() => new tp.Auth(opts(mock, { tokenHostz: 'x' })), tp.InvalidArgumentError)
  check(e, tp.InvalidArgumentError, { status: 1 })
  assert.match(e.message, /tokenHostz/)
  e = await rejectsWith(() => new tp.Auth(opts(mock, { timeoutMs: 'soon' })), tp.InvalidArgumentError)
  assert.match(e.message, /timeoutMs/)
  e = await rejectsWith(() => new tp.Auth(opts(mock, { timeoutMs: {} })), tp.InvalidArgumentError)
  e = await rejectsWith(() => new tp.Auth(opts(mock, { allowInsecureHttp: false })), tp.InvalidArgumentError)
  assert.match(e.message, /api_base_url/)
  const auth = new tp.Auth(opts(mock))
  e = await rejectsWith(() => auth.authorizeUrl('http://app.example/cb'), tp.InvalidArgumentError)
  assert.match(e.message, /https/)
  e = await rejectsWith(() => auth.authorizationCodeGrant('code', 'http://app.example/cb'), tp.InvalidArgumentError)
  e = await rejectsWith(() => auth.authorizeUrl('https://app.example/cb', 'bogus'), tp.InvalidArgumentError)
  e = await rejectsWith(() => auth.request('GET', 'https://elsewhere.example/v1/x'), tp.InvalidArgumentError)
  e = await rejectsWith(() => tp.Token.fromJson('not json'), tp.InvalidArgumentError)
  assert.equal((await mock.stats()).requests, 0)
})

test('NetworkError: nothing listens (and a reset connection)', async () => {
  const dead = new tp.Auth(opts(mock, { apiBaseUrl: 'http://127.0.0.1:1', maxRetries: 0 }))
  check(await rejectsWith(() => dead.getToken(), tp.NetworkError), tp.NetworkError, { status: 2 })
  const auth = new tp.Auth(opts(mock, { maxRetries: 0 }))
  await mock.fault('reset')
  check(await rejectsWith(() => auth.getToken(), tp.NetworkError), tp.NetworkError, { status: 2 })
})

test('TimeoutError: the server answers after timeoutMs', async () => {
  const auth = new tp.Auth(opts(mock, { timeoutMs: 300, maxRetries: 0 }))
  await mock.fault('slow', { delay_ms: 3000 })
  check(await rejectsWith(() => auth.passwordGrant(USER, PASSWORD), tp.TimeoutError), tp.TimeoutError, { status: 3 })
})

test('UnauthorizedError: a wrong API secret (401 invalid_client)', async () => {
  const auth = new tp.Auth(opts(mock, { apiSecret: WRONG_SECRET }))
  const e = await rejectsWith(() => auth.getToken(), tp.UnauthorizedError)
  check(e, tp.UnauthorizedError, { status: 4, httpStatus: 401, oauthCode: 'invalid_client' })
})

test('RateLimitedError with retryAfter in seconds; a 429 with Retry-After is retried', async () => {
  const auth = new tp.Auth(opts(mock, { maxRetries: 0 }))
  await mock.fault('429', { retry_after: '7' })
  const e = await rejectsWith(() => auth.getToken(), tp.RateLimitedError)
  check(e, tp.RateLimitedError, { status: 5, httpStatus: 429, oauthCode: 'too_many_requests' })
  assert.equal(e.retryAfter, 7)
  // The same client does not ask again while the server said to wait.
  const again = await rejectsWith(() => auth.getToken(), tp.RateLimitedError)
  assert.ok(again.retryAfter > 0 && again.retryAfter <= 7)
  assert.equal((await mock.stats()).token_requests, 1)

  // With retries (the default), a 429 with Retry-After: 1 is waited out and retried.
  await mock.reset()
  const patient = new tp.Auth(opts(mock))
  await mock.fault('429', { retry_after: '1' })
  const t0 = Date.now()
  const tok = await patient.getToken()
  assert.ok(tok.accessToken)
  assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After')
  const s = await mock.stats()
  assert.equal(s.token_requests, 2)
  assert.equal(s.grants.password, 1)
})

test('InvalidGrantError: a wrong password (400 invalid_grant)', async () => {
  const auth = new tp.Auth(opts(mock, { password: WRONG_PASSWORD }))
  const e = await rejectsWith(() => auth.getToken(), tp.InvalidGrantError)
  check(e, tp.InvalidGrantError, { status: 6, httpStatus: 400, oauthCode: 'invalid_grant' })
  seen.push(await rejectsWith(() => auth.passwordGrant(USER, WRONG_PASSWORD), tp.InvalidGrantError))
})

test('HttpError: a 500 HTML page', async () => {
  const auth = new tp.Auth(opts(mock, { maxRetries: 0 }))
  await mock.fault('html_500')
  check(await rejectsWith(() => auth.getToken(), tp.HttpError), tp.HttpError, { status: 7, httpStatus: 500 })
})

test('ProtocolError: a 200 that is not a token', async () => {
  const auth = new tp.Auth(opts(mock))
  await mock.fault('garbage')
  check(await rejectsWith(() => auth.getToken(), tp.ProtocolError), tp.ProtocolError, { status: 8, httpStatus: 200 })
  await mock.fault('no_access_token')
  check(await rejectsWith(() => auth.getToken(), tp.ProtocolError), tp.ProtocolError, { status: 8, httpStatus: 200 })
})

test('StateMismatchError and AccessDeniedError from redirects', async () => {
  check(await rejectsWith(() => tp.parseCodeRedirect('https://app.example/cb?code=c&state=a', 'b'), tp.StateMismatchError),
    tp.StateMismatchError, { status: 9 })
  check(await rejectsWith(() => tp.parseImplicitRedirect('https://app.example/cb#access_token=t&state=a', 'b'), tp.StateMismatchError),
    tp.StateMismatchError, { status: 9 })
  await mock.config({ deny: true })
  const auth = new tp.Auth(opts(mock))
  const location = await mock.browse(auth.authorizeUrl('https://app.example/cb', 'code', 's1'))
  const e = await rejectsWith(() => tp.parseCodeRedirect(location, 's1'), tp.AccessDeniedError)
  check(e, tp.AccessDeniedError, { status: 10, oauthCode: 'access_denied' })
})

test('NoTokenError: nothing to refresh, grant none', async () => {
  const auth = new tp.Auth(opts(mock, { username: null, password: null, grant: 'none' }))
  check(await rejectsWith(() => auth.refresh(), tp.NoTokenError), tp.NoTokenError, { status: 11 })
  check(await rejectsWith(() => auth.getToken(), tp.NoTokenError), tp.NoTokenError, { status: 11 })
})

test('StoreError: a token cache that is a symlink', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpauth-node-'))
  try {
    fs.writeFileSync(path.join(dir, 'real'), '')
    fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'cache'))
    const auth = new tp.Auth(opts(mock, { tokenCache: path.join(dir, 'cache') }))
    const e = await rejectsWith(() => auth.getToken(), tp.StoreError)
    check(e, tp.StoreError, { status: 12 })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

for (const url of ['redis+cluster://127.0.0.1:1', 'redis+sentinel://127.0.0.1:1/mymaster']) {
  test(`every Redis topology is built in: ${url.split(':')[0]}`, async () => {
    // Nothing answers on port 1: the client works through its fallback file, as during a Redis
    // outage. An addon built without the topology refuses the URL as InvalidArgumentError.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpauth-node-'))
    try {
      const auth = new tp.Auth(opts(mock, { tokenCache: url, cacheFallbackFile: path.join(dir, 'fallback.json'), cacheTimeoutMs: 200 }))
      assert.ok((await auth.getToken()).accessToken)
      assert.equal((await mock.stats()).token_requests, 1)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('the class per status, InternalError included (a caught panic; not reachable from outside)', () => {
  const names = ['InvalidArgumentError', 'NetworkError', 'TimeoutError', 'UnauthorizedError', 'RateLimitedError',
    'InvalidGrantError', 'HttpError', 'ProtocolError', 'StateMismatchError', 'AccessDeniedError', 'NoTokenError',
    'StoreError', 'InternalError']
  names.forEach((n, i) => {
    const e = new tp[n]('m')
    assert.equal(e.status, i + 1)
    assert.equal(e.name, n)
    assert.ok(e instanceof tp.TpauthError)
  })
  assert.equal(tp.Status.INTERNAL, 13)
})

test('Status and each code are the core\'s table: 0 is TP_OK, every number has its C name', () => {
  const header = fs.readFileSync(path.join(REPO, 'include/tpauth.h'), 'utf8')
  const cNames = [...header.matchAll(/^\s+(TP_(?:OK|ERR_[A-Z_]+)) = (\d+),?$/gm)].map(([, n, c]) => [n, Number(c)])
  assert.ok(cNames.length >= 14, `statuses in the header: ${cNames.length}`)
  assert.deepEqual(Object.entries(tp.Status).map(([k, v]) => [v === 0 ? 'TP_OK' : `TP_ERR_${k}`, v]), cNames)
  assert.equal(new tp.TpauthError('m', { status: 0 }).code, 'TP_OK')
  for (const [cName, code] of cNames) assert.equal(new tp.TpauthError('m', { status: code }).code, cName)
})

test('util.inspect(auth) shows apiBaseUrl as the core redacts it: no userinfo, no query', () => {
  const auth = new tp.Auth(opts(mock, { apiBaseUrl: 'https://user:s3cr3t-pw@api.example.com/base?token=q-s3cret' }))
  const shown = inspect(auth, { showHidden: true, depth: 5 })
  assert.match(shown, /apiBaseUrl: 'https:\/\/\*\*\*@api\.example\.com\/base'/)
  assert.ok(!shown.includes('s3cr3t-pw') && !shown.includes('q-s3cret') && !shown.includes('user:'), shown)
})

test('no secret in any error message, stack, util.inspect or JSON output', async () => {
  const auth = new tp.Auth(opts(mock, { tokenCache: undefined }))
  const tok = await auth.getToken()
  const resp = await auth.request('GET', '/v1/x')
  const secrets = [SECRET, PASSWORD, WRONG_PASSWORD, WRONG_SECRET, tok.accessToken, tok.refreshToken]
  const texts = [inspect(auth), inspect(tok), JSON.stringify(tok), String(tok), inspect(resp), inspect(auth, { showHidden: true, depth: 5 }),
    inspect(tok, { showHidden: true, depth: 5 })]
  for (const e of seen) texts.push(e.message, e.stack, inspect(e), inspect(e, { showHidden: true, depth: 5 }), JSON.stringify(e))
  assert.ok(seen.length >= 15, `errors collected: ${seen.length}`)
  for (const t of texts) for (const s of secrets) assert.ok(!t.includes(s), `a secret in: ${t}`)
  assert.match(inspect(tok), /accessToken: '\[redacted\]'/)
})
