'use strict'
// Every flow against the mock: the bytes on the wire and what the caller gets.
const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { tp, startMock, opts, header, KEY, SECRET, USER, PASSWORD, TOKEN_PATH } = require('./helpers')

let mock
before(async () => { mock = await startMock() })
after(() => mock.stop())
beforeEach(() => mock.reset())

test('password grant: the form and Basic header on the wire, the token as received', async () => {
  const auth = new tp.Auth(opts(mock))
  const tok = await auth.passwordGrant(USER, PASSWORD)
  assert.ok(tok instanceof tp.Token)
  assert.equal(tok.tokenType, 'BearerToken')
  assert.equal(tok.expiresIn, 359999) // sent as the string "359999"
  assert.ok(Math.abs(tok.expiresAt - (Date.now() / 1000 + 359999)) < 60)
  assert.ok(tok.accessToken.length > 10 && tok.refreshToken.length > 10)
  assert.equal(tok.raw.organization_name, 'mock')
  assert.equal(tok.isExpired(), false)
  assert.equal(tok.isExpired(400000), true)
  const req = await mock.lastTokenRequest()
  assert.equal(req.path, TOKEN_PATH)
  assert.equal(header(req, 'authorization'), 'Basic ' + Buffer.from(`${KEY}:${SECRET}`).toString('base64'))
  assert.equal(header(req, 'content-type'), 'application/x-www-form-urlencoded')
  assert.equal(req.body, 'grant_type=password&username=user%40example.com&password=mock-password')
})

test('a password with reserved characters is form-encoded', async () => {
  const pw = 'p&ss=w+rd %é'
  await mock.config({ password: pw })
  const auth = new tp.Auth(opts(mock, { password: pw }))
  await auth.passwordGrant(USER, pw)
  const req = await mock.lastTokenRequest()
  assert.equal(req.body, 'grant_type=password&username=user%40example.com&password=p%26ss%3Dw%2Brd%20%25%C3%A9')
})

test('client credentials grant, then an API call with x-business-user-id', async () => {
  const auth = new tp.Auth(opts(mock, { username: null, password: null, businessUserId: 'mock-business-user-id' }))
  assert.equal(auth.businessUserId, 'mock-business-user-id')
  const tok = await auth.clientCredentialsGrant()
  assert.equal(tok.refreshToken, null)
  assert.equal((await mock.lastTokenRequest()).body, 'grant_type=client_credentials')
  const resp = await auth.request('GET', '/v1/private/business-units/1/reviews')
  assert.equal(resp.status, 200)
  const api = await mock.lastApiRequest()
  assert.equal(header(api, 'x-business-user-id'), 'mock-business-user-id')
  assert.equal(header(api, 'authorization'), `Bearer ${tok.accessToken}`)
  assert.equal((await mock.stats()).grants.client_credentials, 1)
})

test('authorization code flow: authorizeUrl, the redirect, parseCodeRedirect, the exchange', async () => {
  const auth = new tp.Auth(opts(mock, { username: null, password: null }))
  const state = tp.newState()
  assert.match(state, /^[A-Za-z0-9_-]{22,}$/)
  assert.notEqual(state, tp.newState())
  const redirect = 'https://app.example/callback'
  const url = auth.authorizeUrl(redirect, 'code', state)
  assert.ok(url.startsWith(`${mock.base}/authenticate?client_id=${KEY}&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&response_type=code&state=`))
  const location = await mock.browse(url)
  const code = tp.parseCodeRedirect(location, state)
  const tok = await auth.authorizationCodeGrant(code, redirect)
  assert.ok(tok.refreshToken)
  const req = await mock.lastTokenRequest()
  assert.equal(req.body, `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback`)
  // The code is single-use: a second exchange is refused (and not retried).
  const before = (await mock.stats()).token_requests
  await assert.rejects(auth.authorizationCodeGrant(code, redirect), tp.InvalidGrantError)
  assert.equal((await mock.stats()).token_requests, before + 1)
  // The managed token is the exchanged one.
  assert.equal((await auth.getToken()).accessToken, tok.accessToken)
})

test('authorization code flow with PKCE: newPkce, the challenge in the URL, the verifier in the exchange', async () => {
  const auth = new tp.Auth(opts(mock, { username: null, password: null }))
  const pkce = tp.newPkce()
  assert.deepEqual(Object.keys(pkce).sort(), ['challenge', 'verifier'])
  assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43}$/)
  assert.match(pkce.challenge, /^[A-Za-z0-9_-]{43}$/)
  assert.notEqual(tp.newPkce().verifier, pkce.verifier)
  // S256: the challenge is BASE64URL(SHA256(verifier)).
  const { createHash } = require('node:crypto')
  assert.equal(pkce.challenge, createHash('sha256').update(pkce.verifier).digest('base64url'))
  const redirect = 'https://app.example/callback'
  const state = tp.newState()
  const url = auth.authorizeUrl(redirect, 'code', state, pkce.challenge)
  const q = new URL(url).searchParams
  assert.equal(q.get('code_challenge'), pkce.challenge)
  assert.equal(q.get('code_challenge_method'), 'S256')
  assert.equal(q.get('state'), state)
  // Without a challenge the URL is as before.
  assert.equal(new URL(auth.authorizeUrl(redirect, 'code', state)).searchParams.has('code_challenge'), false)
  // A wrong verifier is refused (and uses the code up).
  let code = tp.parseCodeRedirect(await mock.browse(url), state)
  await assert.rejects(auth.authorizationCodeGrant(code, redirect, tp.newPkce().verifier), tp.InvalidGrantError)
  // No verifier for a code issued with a challenge: refused too.
  code = tp.parseCodeRedirect(await mock.browse(url), state)
  await assert.rejects(auth.authorizationCodeGrant(code, redirect), tp.InvalidGrantError)
  // The right one: the token, and code_verifier on the wire.
  code = tp.parseCodeRedirect(await mock.browse(url), state)
  const tok = await auth.authorizationCodeGrant(code, redirect, pkce.verifier)
  assert.ok(tok.accessToken && tok.refreshToken)
  const req = await mock.lastTokenRequest()
  assert.equal(
    req.body,
    `grant_type=authorization_code&code=${encodeURIComponent(code)}&redirect_uri=https%3A%2F%2Fapp.example%2Fcallback&code_verifier=${pkce.verifier}`,
  )
  assert.equal((await auth.getToken()).accessToken, tok.accessToken)
  // A malformed verifier or challenge is refused before anything is sent.
  await assert.rejects(auth.authorizationCodeGrant(code, redirect, 'short'), tp.InvalidArgumentError)
  assert.throws(() => auth.authorizeUrl(redirect, 'code', state, 'not-a-challenge'), tp.InvalidArgumentError)
})

test('implicit flow: authorizeUrl(..., "token"), parseImplicitRedirect', async () => {
  const auth = new tp.Auth(opts(mock))
  const state = tp.newState()
  const location = await mock.browse(auth.authorizeUrl('https://app.example/cb', 'token', state))
  const tok = tp.parseImplicitRedirect(location, state)
  assert.ok(tok.accessToken)
  assert.equal(tok.refreshToken, null)
  await auth.setToken(tok)
  const resp = await auth.request('GET', '/v1/x')
  assert.equal(resp.status, 200)
  assert.equal((await mock.stats()).token_requests, 0)
})

test('refresh: the current refresh token, or one given; revoke', async () => {
  const auth = new tp.Auth(opts(mock))
  const first = await auth.passwordGrant(USER, PASSWORD)
  const second = await auth.refresh()
  assert.notEqual(second.accessToken, first.accessToken)
  let req = await mock.lastTokenRequest()
  assert.equal(req.path, '/v1/oauth/oauth-business-users-for-applications/refresh')
  assert.equal(req.body, `grant_type=refresh_token&refresh_token=${encodeURIComponent(first.refreshToken)}`)
  const third = await auth.refresh(second.refreshToken)
  assert.equal((await auth.getToken()).accessToken, third.accessToken)
  // The rotated-out refresh token is refused.
  await assert.rejects(auth.refresh(first.refreshToken), tp.InvalidGrantError)
  await auth.revoke()
  req = await mock.lastTokenRequest()
  assert.equal(req.path, '/v1/oauth/oauth-business-users-for-applications/revoke')
  assert.equal(req.body, `token=${encodeURIComponent(third.refreshToken)}`)
  const raw = await fetch(`${mock.base}/v1/x`, { headers: { apikey: KEY, authorization: `Bearer ${third.accessToken}` } })
  assert.equal(raw.status, 401)
  assert.equal((await mock.stats()).revoke_requests, 1)
  // With no current token, revoke() has nothing to revoke.
  await assert.rejects(auth.revoke(), tp.NoTokenError)
})

test('getToken: one grant, then the cached token; invalidateToken and setToken', async () => {
  const auth = new tp.Auth(opts(mock))
  const a = await auth.getToken()
  const b = await auth.getToken()
  assert.equal(a.accessToken, b.accessToken)
  assert.equal((await mock.stats()).token_requests, 1)
  await auth.invalidateToken('not-the-current-one')
  assert.equal((await auth.getToken()).accessToken, a.accessToken)
  await auth.invalidateToken(a)
  const c = await auth.getToken()
  assert.notEqual(c.accessToken, a.accessToken)
  const s = await mock.stats()
  assert.equal(s.token_requests, 2)
  assert.equal(s.grants.refresh_token, 1) // renewed with the refresh token
  // setToken of a persisted token (toJson / fromJson).
  const other = new tp.Auth(opts(mock, { grant: 'none' }))
  await assert.rejects(other.getToken(), tp.NoTokenError)
  await other.setToken(tp.Token.fromJson(c.toJson()))
  assert.equal((await other.getToken()).accessToken, c.accessToken)
})

test('request: methods, bodies, the response object, 401 renewed once', async () => {
  const auth = new tp.Auth(opts(mock))
  let resp = await auth.request('GET', '/v1/private/business-units/1/reviews?page=2')
  assert.equal(resp.status, 200)
  assert.equal(resp.ok, true)
  assert.ok(Buffer.isBuffer(resp.body))
  assert.equal(resp.headers['content-type'], resp.header('Content-Type'))
  assert.deepEqual(resp.json(), JSON.parse(resp.text()))
  assert.equal(resp.json().query, 'page=2')
  let api = await mock.lastApiRequest()
  assert.equal(header(api, 'apikey'), KEY)
  assert.equal(header(api, 'x-business-user-id'), null)
  resp = await auth.request('POST', '/v1/things', { body: '{"a":"é"}', contentType: 'application/json' })
  assert.deepEqual([resp.json().method, resp.json().content_type, resp.json().body], ['POST', 'application/json', '{"a":"é"}'])
  resp = await auth.request('PUT', `${mock.base}/v1/things`, { body: Buffer.from('raw bytes'), contentType: 'text/plain' })
  assert.equal(resp.json().body, 'raw bytes')
  resp = await auth.request('PATCH', '/v1/u8', { body: new TextEncoder().encode('u8'), contentType: 'text/plain' })
  assert.equal(resp.json().body, 'u8')
  // The token expires (the mock says so): one renewal, the call resent, 200.
  await mock.expire()
  resp = await auth.request('GET', '/v1/after-expiry')
  assert.equal(resp.status, 200)
  const s = await mock.stats()
  assert.equal(s.token_requests, 2)
  assert.equal(s.api_401, 1)
  api = await mock.lastApiRequest()
  assert.equal(header(api, 'authorization'), `Bearer ${(await auth.getToken()).accessToken}`)
  await assert.rejects(auth.request('GET', '/v1/x', { body: 42 }), tp.InvalidArgumentError)
})

test('fromEnv reads TRUSTPILOT_* (as the core names them); overrides win', async () => {
  const saved = { ...process.env }
  try {
    Object.assign(process.env, {
      TRUSTPILOT_API_KEY: KEY,
      TRUSTPILOT_API_SECRET: SECRET,
      TRUSTPILOT_USERNAME: USER,
      TRUSTPILOT_PASSWORD: 'wrong',
      TRUSTPILOT_API_HOST: mock.base,
      TRUSTPILOT_ALLOW_INSECURE_HTTP: 'true',
    })
    await assert.rejects(tp.Auth.fromEnv().getToken(), tp.InvalidGrantError)
    const auth = tp.Auth.fromEnv({ password: PASSWORD })
    assert.equal(auth.apiBaseUrl, mock.base)
    assert.equal((await auth.request('GET', '/v1/x')).status, 200)
    assert.throws(() => tp.Auth.fromEnv({ apiSecret: 'x' }), tp.InvalidArgumentError)
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  }
})

test('fromEnv: TRUSTPILOT_API_BASE_URL wins over TRUSTPILOT_API_HOST; a name that is no option is a warning', async () => {
  const saved = { ...process.env }
  const warnings = []
  const listen = (w) => warnings.push(w)
  process.on('warning', listen)
  try {
    Object.assign(process.env, {
      TRUSTPILOT_API_KEY: KEY,
      TRUSTPILOT_API_SECRET: SECRET,
      TRUSTPILOT_USERNAME: USER,
      TRUSTPILOT_PASSWORD: PASSWORD,
      TRUSTPILOT_API_HOST: 'http://127.0.0.1:9',
      TRUSTPILOT_API_BASE_URL: mock.base,
      TRUSTPILOT_ALLOW_INSECURE_HTTP: 'true',
      TRUSTPILOT_TOKENCACHE: '/tmp/value-never-logged',
    })
    const auth = tp.Auth.fromEnv()
    assert.equal(auth.apiBaseUrl, mock.base)
    assert.equal((await auth.request('GET', '/v1/x')).status, 200)
    await new Promise((resolve) => setImmediate(resolve)) // warnings are delivered on the next tick
    const ours = warnings.filter((w) => w.name === 'TpauthWarning')
    assert.equal(ours.length, 1, JSON.stringify(warnings.map((w) => w.message)))
    assert.match(ours[0].message, /TRUSTPILOT_TOKENCACHE/)
    assert.doesNotMatch(ours[0].message, /value-never-logged/)
  } finally {
    process.off('warning', listen)
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  }
})

test('options: camelCase keys reach the core (refreshEndpoint, clientAuth, userAgent, timeoutMs)', async () => {
  const auth = new tp.Auth(opts(mock, { refreshEndpoint: 'accesstoken', clientAuth: 'post', userAgent: 'ua-test/1', timeoutMs: 5000, maxRetries: 0 }))
  await auth.passwordGrant(USER, PASSWORD)
  let req = await mock.lastTokenRequest()
  assert.equal(header(req, 'authorization'), null)
  assert.match(req.body, /client_id=mock-api-key&client_secret=mock-api-secret/)
  assert.equal(header(req, 'user-agent'), 'ua-test/1')
  await auth.refresh()
  req = await mock.lastTokenRequest()
  assert.equal(req.path, TOKEN_PATH)
})
