'use strict'
// auth.fetch (a drop-in for the global fetch) and useTpauth (axios): the headers on the wire, one
// renewal and resend on 401, and the core's host rule.
const { test, before, after, beforeEach } = require('node:test')
const http = require('node:http')
const assert = require('node:assert/strict')
const axios = require('axios')
const { tp, startMock, opts, header, rejectsWith, KEY } = require('./helpers')

let mock
before(async () => { mock = await startMock() })
after(() => mock.stop())
beforeEach(() => mock.reset())

test('auth.fetch: a path or an API URL, with Authorization and apikey; the caller\'s headers kept', async () => {
  const auth = new tp.Auth(opts(mock))
  let r = await auth.fetch('/v1/private/business-units/1')
  assert.ok(r instanceof Response)
  assert.equal(r.status, 200)
  assert.equal((await r.json()).path, '/v1/private/business-units/1')
  const tok = await auth.getToken()
  let api = await mock.lastApiRequest()
  assert.equal(header(api, 'authorization'), `Bearer ${tok.accessToken}`)
  assert.equal(header(api, 'apikey'), KEY)
  r = await auth.fetch(new URL(`${mock.base}/v1/things`), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-custom': 'kept', authorization: 'Bearer not-mine' },
    body: JSON.stringify({ a: 1 }),
  })
  const echo = await r.json()
  assert.deepEqual([echo.method, echo.body, echo.content_type], ['POST', '{"a":1}', 'application/json'])
  api = await mock.lastApiRequest()
  assert.equal(header(api, 'x-custom'), 'kept')
  assert.equal(header(api, 'authorization'), `Bearer ${tok.accessToken}`)
  // A Request object.
  r = await auth.fetch(new Request(`${mock.base}/v1/req`, { headers: { 'x-custom': 'req' } }))
  assert.equal(r.status, 200)
  api = await mock.lastApiRequest()
  assert.equal(header(api, 'x-custom'), 'req')
  assert.equal((await mock.stats()).token_requests, 1)
})

test('auth.fetch with client credentials sends x-business-user-id', async () => {
  const auth = new tp.Auth(opts(mock, { username: null, password: null, businessUserId: 'mock-business-user-id' }))
  const r = await auth.fetch('/v1/bu')
  assert.equal(r.status, 200)
  assert.equal(header(await mock.lastApiRequest(), 'x-business-user-id'), 'mock-business-user-id')
  // tp_api_headers' merge rule, as in every binding: a caller's own x-business-user-id is kept,
  // the token headers replace the caller's.
  await auth.fetch('/v1/bu', { headers: { 'X-Business-User-Id': 'other', apikey: 'mine' } })
  let api = await mock.lastApiRequest()
  assert.equal(header(api, 'x-business-user-id'), 'other')
  assert.equal(header(api, 'apikey'), KEY)
  const viaAxios = axios.create({ baseURL: mock.base, validateStatus: () => true }) // the mock answers 403 to 'other'
  tp.useTpauth(viaAxios, auth)
  await viaAxios.get('/v1/bu', { headers: { 'x-business-user-id': 'other' } })
  assert.equal(header(await mock.lastApiRequest(), 'x-business-user-id'), 'other')
  await viaAxios.get('/v1/bu')
  api = await mock.lastApiRequest()
  assert.equal(header(api, 'x-business-user-id'), 'mock-business-user-id')
})

test('auth.fetch: on 401 one renewal and one resend (the body sent again)', async () => {
  const auth = new tp.Auth(opts(mock))
  await auth.getToken()
  await mock.expire()
  const r = await auth.fetch('/v1/after', { method: 'PUT', body: 'again', headers: { 'content-type': 'text/plain' } })
  assert.equal(r.status, 200)
  assert.equal((await r.json()).body, 'again')
  const s = await mock.stats()
  assert.equal(s.token_requests, 2)
  assert.equal(s.api_401, 1)
  // Still 401 after the renewal: that answer is the caller's (no loop).
  await mock.fault('401', { count: 2 })
  const r2 = await auth.fetch('/v1/twice')
  assert.equal(r2.status, 401)
  assert.equal((await mock.stats()).token_requests, 3)
})

test('auth.fetch refuses a host that may not see the token, before sending anything', async () => {
  const auth = new tp.Auth(opts(mock))
  await rejectsWith(() => auth.fetch('https://evil.example/v1/x'), tp.InvalidArgumentError)
  const e = await rejectsWith(() => auth.fetch(`http://localhost:${mock.port}/v1/x`), tp.InvalidArgumentError)
  assert.match(e.message, /token_?[hH]osts/)
  const s = await mock.stats()
  assert.equal(s.requests, 0)
  assert.equal(s.token_requests, 0)
  // The core's tokenHosts option lets a host in.
  const wider = new tp.Auth(opts(mock, { tokenHosts: `localhost:${mock.port}` }))
  const r = await wider.fetch(`http://localhost:${mock.port}/v1/other-host`)
  assert.equal(r.status, 200)
  assert.equal(header(await mock.lastApiRequest(), 'authorization'), `Bearer ${(await wider.getToken()).accessToken}`)
  assert.equal((await wider.request('GET', `http://localhost:${mock.port}/v1/x`)).status, 200)
})

test('useTpauth(axios): headers added, 401 renewed and resent once, hosts refused, eject', async () => {
  const auth = new tp.Auth(opts(mock))
  const api = axios.create({ baseURL: mock.base })
  const eject = tp.useTpauth(api, auth)
  let r = await api.get('/v1/axios', { params: { page: 2 } })
  assert.equal(r.status, 200)
  assert.equal(r.data.query, 'page=2')
  const tok = await auth.getToken()
  let last = await mock.lastApiRequest()
  assert.equal(header(last, 'authorization'), `Bearer ${tok.accessToken}`)
  assert.equal(header(last, 'apikey'), KEY)
  r = await api.post('/v1/axios', { a: 1 })
  assert.equal(r.data.body, '{"a":1}')
  await mock.expire()
  r = await api.get('/v1/axios-after')
  assert.equal(r.status, 200)
  let s = await mock.stats()
  assert.equal(s.token_requests, 2)
  assert.equal(s.api_401, 1)
  last = await mock.lastApiRequest()
  assert.equal(header(last, 'authorization'), `Bearer ${(await auth.getToken()).accessToken}`)
  const before = s.requests
  await rejectsWith(() => api.get('https://evil.example/v1/x'), tp.InvalidArgumentError)
  s = await mock.stats()
  assert.equal(s.requests, before)
  eject()
  await assert.rejects(api.get('/v1/no-token'), (err) => err.response && err.response.status === 401)
  assert.throws(() => tp.useTpauth({}, auth), TypeError)
})

/** A server on loopback that must never be reached: it counts every connection, HTTP or not. */
async function startEvil() {
  const seen = []
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers })
    res.end('{}')
  })
  let connections = 0
  server.on('connection', () => { connections++ })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const hp = `127.0.0.1:${server.address().port}`
  return { hp, seen, connections: () => connections, stop: () => new Promise((resolve) => server.close(resolve)) }
}

/** Every spelling that names the evil server to some reader (WHATWG fetch reads http:H:P/x as http://H:P/x). */
const foreignForms = (hp) => [`http:${hp}/x`, `http:/${hp}/x`, `HTTP:${hp}/x`, `https:${hp}/x`, `https:/${hp}/x`,
  `//${hp}/x`, `/\\${hp}/x`, `\\\\${hp}\\x`, `http://evil.example\\@${hp}/x`]

test('auth.fetch refuses every reference that names another host; nothing reaches it', async () => {
  const evil = await startEvil()
  try {
    const auth = new tp.Auth(opts(mock))
    for (const form of foreignForms(evil.hp)) {
      const e = await rejectsWith(() => auth.fetch(form), tp.InvalidArgumentError)
      assert.match(e.message, /url_or_path/, form)
    }
    // The URL the core judged is the one fetch sends: a path goes to apiBaseUrl.
    const r = await auth.fetch('v1/relative')
    assert.equal((await r.json()).path, '/v1/relative')
    assert.equal(evil.connections(), 0, `the evil server saw: ${JSON.stringify(evil.seen)}`)
    const s = await mock.stats()
    assert.equal(s.token_requests, 1, 'a token only for the one accepted call')
  } finally {
    await evil.stop()
  }
})

test('useTpauth(axios) refuses every reference that names another host; nothing reaches it', async () => {
  const evil = await startEvil()
  try {
    const auth = new tp.Auth(opts(mock))
    const bare = axios.create()
    tp.useTpauth(bare, auth)
    for (const form of foreignForms(evil.hp)) {
      await rejectsWith(() => bare.get(form), tp.InvalidArgumentError)
    }
    // With a baseURL axios joins some of them to it: they go to the API host or are refused.
    const withBase = axios.create({ baseURL: mock.base, validateStatus: () => true })
    tp.useTpauth(withBase, auth)
    for (const form of foreignForms(evil.hp)) {
      try {
        await withBase.get(form)
      } catch (e) {
        assert.ok(e instanceof tp.InvalidArgumentError, `${form}: ${e}`)
      }
    }
    assert.equal(evil.connections(), 0, `the evil server saw: ${JSON.stringify(evil.seen)}`)
    // The request goes to the URL the core judged, params included once.
    const r = await withBase.get('/v1/judged', { params: { page: 3 } })
    assert.deepEqual([r.data.path, r.data.query], ['/v1/judged', 'page=3'])
  } finally {
    await evil.stop()
  }
})
