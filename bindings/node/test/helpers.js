'use strict'
// The mock server (`tpauth mock --port 0 --exit-on-stdin-eof`) and its control endpoints, spoken
// with the global fetch (not with tpauth). TRUSTPILOT_AUTH_PKG names the package under test
// (default: this folder's parent, the in-tree build).
const { spawn } = require('node:child_process')
const path = require('node:path')

const REPO = path.resolve(__dirname, '../../..')
const BIN = process.env.TPAUTH_BIN || path.join(REPO, 'target/release/tpauth')
const PKG = process.env.TRUSTPILOT_AUTH_PKG || path.resolve(__dirname, '..')
const tp = require(PKG)

const KEY = 'mock-api-key'
const SECRET = 'mock-api-secret'
const USER = 'user@example.com'
const PASSWORD = 'mock-password'
const TOKEN_PATH = '/v1/oauth/oauth-business-users-for-applications/accesstoken'

async function startMock() {
  const proc = spawn(BIN, ['mock', '--port', '0', '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    let buf = ''
    proc.stdout.on('data', (d) => {
      buf += d
      const i = buf.indexOf('\n')
      if (i >= 0) resolve(Number(buf.slice(0, i).trim()))
    })
    proc.on('error', reject)
    proc.on('exit', (code) => reject(new Error(`mock exited with ${code}`)))
  })
  const base = `http://127.0.0.1:${port}`
  const call = async (method, p, body) => {
    const r = await fetch(base + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const t = await r.text()
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${t}`)
    return t.trim() ? JSON.parse(t) : null
  }
  return {
    port,
    base,
    stats: () => call('GET', '/_mock/stats'),
    reset: () => call('POST', '/_mock/reset', {}),
    config: (c) => call('POST', '/_mock/config', c),
    fault: (kind, kw = {}) => call('POST', '/_mock/fault', { kind, ...kw }),
    expire: () => call('POST', '/_mock/expire', {}),
    lastTokenRequest: () => call('GET', '/_mock/last_token_request'),
    lastApiRequest: () => call('GET', '/_mock/last_api_request'),
    /** Follow an authorize URL like a browser: the Location it redirects to. */
    browse: async (url) => {
      const r = await fetch(url, { redirect: 'manual' })
      if (r.status !== 302) throw new Error(`expected a redirect, got ${r.status}`)
      return r.headers.get('location')
    },
    stop: () => {
      proc.stdin.end()
      proc.kill()
    },
  }
}

/** Options for a client of the mock, `extra` merged in. */
function opts(mock, extra = {}) {
  return {
    apiKey: KEY,
    apiSecret: SECRET,
    username: USER,
    password: PASSWORD,
    apiBaseUrl: mock.base,
    authorizeUrl: `${mock.base}/authenticate`,
    allowInsecureHttp: true,
    ...extra,
  }
}

function header(req, name) {
  const h = req.headers.find(([k]) => k === name)
  return h ? h[1] : null
}

/** Assert that `fn` rejects (or throws) with an instance of `cls`; returns the error. */
async function rejectsWith(fn, cls) {
  try {
    await fn()
  } catch (e) {
    if (!(e instanceof cls)) throw new Error(`expected ${cls.name}, got ${e && e.name}: ${e && e.message}`)
    if (!(e instanceof tp.TpauthError)) throw new Error('not a TpauthError')
    return e
  }
  throw new Error(`expected ${cls.name}, got no error`)
}

module.exports = { tp, startMock, opts, header, rejectsWith, KEY, SECRET, USER, PASSWORD, TOKEN_PATH, REPO, PKG }
