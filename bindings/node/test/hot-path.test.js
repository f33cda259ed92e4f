'use strict'
// The cached path: what a fresh getToken() answers, and a token's strings.
const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { tp, startMock, opts } = require('./helpers')

let mock
before(async () => { mock = await startMock() })
after(() => mock.stop())
beforeEach(() => mock.reset())

test('a fresh token is answered as the same Token, its strings as the same strings', async () => {
  const auth = new tp.Auth(opts(mock))
  await auth.getToken() // the grant, on the thread pool
  const first = await auth.getToken() // from here on, answered at once while fresh
  assert.equal(await auth.getToken(), first)
  const at = first.accessToken
  assert.equal(first.accessToken, at)
  assert.equal(first.rawJson, first.rawJson)
  assert.equal(first.refreshToken, first.refreshToken)
  assert.equal(JSON.parse(first.rawJson).access_token, at)
  assert.equal((await mock.stats()).token_requests, 1)
  // The API refused it: the next call renews, and the new token's strings are its own.
  await auth.invalidateToken(first)
  await auth.getToken() // the renewal
  const second = await auth.getToken()
  assert.notEqual(second, first)
  assert.equal(await auth.getToken(), second)
  assert.notEqual(second.accessToken, at)
  assert.equal(first.accessToken, at, 'a token never changes')
  assert.equal((await mock.stats()).token_requests, 2)
})

test('the strings kept on a token are copied by neither spread nor JSON.stringify', async () => {
  const tok = await new tp.Auth(opts(mock)).getToken()
  const secrets = [tok.accessToken, tok.refreshToken, tok.rawJson]
  const shown = [JSON.stringify({ ...tok }), JSON.stringify(Object.assign({}, tok)), JSON.stringify(tok)]
  for (const s of shown) for (const secret of secrets) assert.ok(!s.includes(secret), s)
  assert.deepEqual(Object.keys(tok), [])
})

test('getToken() follows every call that changes the current token', async () => {
  const auth = new tp.Auth(opts(mock))
  await auth.getToken()
  const first = await auth.getToken()
  // setToken: the set token, at once.
  const mine = tp.Token.fromJson(JSON.stringify({ access_token: 'set-by-hand', expires_in: 3600 }))
  await auth.setToken(mine)
  assert.equal((await auth.getToken()).accessToken, 'set-by-hand')
  // A grant: its token.
  const granted = await auth.passwordGrant(opts(mock).username, opts(mock).password)
  assert.equal((await auth.getToken()).accessToken, granted.accessToken)
  // The API forgets every token; request() meets the 401 and renews inside the core.
  await mock.expire()
  const resp = await auth.request('GET', '/v1/private/business-units/x')
  assert.equal(resp.status, 200)
  const renewed = await auth.getToken()
  assert.notEqual(renewed.accessToken, granted.accessToken)
  assert.notEqual(renewed.accessToken, first.accessToken)
  const req = await mock.lastApiRequest()
  assert.equal(req.headers.find(([k]) => k.toLowerCase() === 'authorization')[1], 'Bearer ' + renewed.accessToken)
})
