'use strict'
// tpauth for Node (trustpilot-auth, in-tree build) next to npm `trustpilot` 4.0.1, both pointed at
// the mock. Prints a table and writes bench/results/node.json and node.md. Not a test: numbers on
// a shared machine vary; compare within one run.
// Usage: node bench.js [--quick]     (TPAUTH_BIN: the CLI that runs the mock)
const cluster = require('node:cluster')
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const ROOT = path.resolve(__dirname, '../..')
const PKG = process.env.TRUSTPILOT_AUTH_PKG || path.join(ROOT, 'bindings/node')
const BIN = process.env.TPAUTH_BIN || path.join(ROOT, 'target/release/tpauth')
const quick = process.argv.includes('--quick')
const CRED = { key: 'mock-api-key', secret: 'mock-api-secret', user: 'user@example.com', pass: 'mock-password' }

function tpauthClient(base, extra = {}) {
  const { Auth } = require(PKG)
  return new Auth({ apiKey: CRED.key, apiSecret: CRED.secret, username: CRED.user, password: CRED.pass,
    apiBaseUrl: base, allowInsecureHttp: true, ...extra })
}
function peerClient(base) {
  const { TrustpilotApi } = require('trustpilot')
  return new TrustpilotApi({ key: CRED.key, secret: CRED.secret, username: CRED.user, password: CRED.pass, baseUrl: base })
}

// ---- cluster workers: one client each, driven by the primary --------------------------------------
if (!cluster.isPrimary) {
  const { base, lib, cache } = JSON.parse(process.env.BENCH_WORKER)
  const client = lib === 'tpauth' ? tpauthClient(base, { tokenCache: cache }) : peerClient(base)
  process.on('message', async () => {
    try {
      let status
      if (lib === 'tpauth') {
        status = (await client.request('GET', '/v1/bench')).status
      } else {
        const api = await client.authenticate()
        status = await api.get('/v1/bench').then((r) => r.status, (e) => (e.response ? e.response.status : 0))
      }
      process.send({ status })
    } catch (e) {
      process.send({ status: 0, error: e.message })
    }
  })
  process.send('ready')
  return
}

// ---- primary ---------------------------------------------------------------------------------------
async function startMock() {
  const proc = spawn(BIN, ['mock', '--port', '0', '--exit-on-stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    let buf = ''
    proc.stdout.on('data', (d) => { buf += d; if (buf.includes('\n')) resolve(Number(buf.split('\n')[0])) })
    proc.on('exit', (c) => reject(new Error(`mock exited ${c}`)))
  })
  const base = `http://127.0.0.1:${port}`
  const call = (m, p) => fetch(base + p, { method: m, headers: m === 'POST' ? { 'content-type': 'application/json' } : {}, body: m === 'POST' ? '{}' : undefined }).then((r) => r.json().catch(() => null))
  return { base, stats: () => call('GET', '/_mock/stats'), reset: () => call('POST', '/_mock/reset'), expire: () => call('POST', '/_mock/expire'), stop: () => { proc.stdin.end(); proc.kill() } }
}

async function concurrent(mock, lib) {
  await mock.reset()
  const c = lib === 'tpauth' ? tpauthClient(mock.base) : peerClient(mock.base)
  const get = lib === 'tpauth' ? () => c.getToken() : () => c.authenticate()
  await Promise.all(Array.from({ length: 64 }, get))
  return (await mock.stats()).token_requests
}

async function clusterRun(mock, lib, n) {
  await mock.reset()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpauth-bench-'))
  const env = { BENCH_WORKER: JSON.stringify({ base: mock.base, lib, cache: path.join(dir, 'token.json') }) }
  const workers = Array.from({ length: n }, () => cluster.fork(env))
  await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))))
  const round = () => Promise.all(workers.map((w) => new Promise((r) => { w.once('message', r); w.send('go') })))
  const start = await round()
  const atStart = (await mock.stats()).token_requests
  await mock.expire()
  const after = await round()
  const afterExpiry = (await mock.stats()).token_requests - atStart
  for (const w of workers) w.kill()
  fs.rmSync(dir, { recursive: true, force: true })
  const ok = (rs) => rs.filter((r) => r.status === 200).length
  return { atStart, afterExpiry, okAtStart: ok(start), okAfterExpiry: ok(after), workers: n }
}

async function cachedCost(mock, lib, iterations) {
  await mock.reset()
  const c = lib === 'tpauth' ? tpauthClient(mock.base) : peerClient(mock.base)
  const get = lib === 'tpauth' ? () => c.getToken() : () => c.authenticate()
  await get()
  for (let i = 0; i < iterations / 10; i++) await get() // warm up
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await get()
  return Number(process.hrtime.bigint() - t0) / iterations
}

// A cached token's accessToken, per read (the string a header is built from).
async function getterCost(mock, iterations) {
  await mock.reset()
  const c = tpauthClient(mock.base)
  await c.getToken()
  const tok = await c.getToken()
  let n = 0
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) n += tok.accessToken.length
  if (n === 0) throw new Error('no token')
  return Number(process.hrtime.bigint() - t0) / iterations
}

function coldStart(mock, lib, runs) {
  const script = lib === 'tpauth'
    ? `const t0 = Date.now(); const { Auth } = require(${JSON.stringify(PKG)}); new Auth({ apiKey: '${CRED.key}', apiSecret: '${CRED.secret}', username: '${CRED.user}', password: '${CRED.pass}', apiBaseUrl: '${mock.base}', allowInsecureHttp: true }).getToken().then(() => console.log(Date.now() - t0))`
    : `const t0 = Date.now(); const { TrustpilotApi } = require('trustpilot'); new TrustpilotApi({ key: '${CRED.key}', secret: '${CRED.secret}', username: '${CRED.user}', password: '${CRED.pass}', baseUrl: '${mock.base}' }).authenticate().then(() => console.log(Date.now() - t0))`
  const times = []
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint()
    execFileSync(process.execPath, ['-e', script], { cwd: __dirname })
    times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}

;(async () => {
  const mock = await startMock()
  const iterations = quick ? 20000 : 200000
  const runs = quick ? 3 : 7
  const r = {}
  for (const lib of ['tpauth', 'trustpilot']) {
    r[lib] = {
      concurrent64: await concurrent(mock, lib),
      cluster8: await clusterRun(mock, lib, 8),
      cachedNs: await cachedCost(mock, lib, lib === 'tpauth' ? iterations : iterations / 10),
      getterNs: lib === 'tpauth' ? await getterCost(mock, iterations) : null,
      coldMs: coldStart(mock, lib, runs),
    }
  }
  mock.stop()
  const t = r.tpauth, p = r.trustpilot
  const rows = [
    ['token requests, 64 concurrent callers (one process)', t.concurrent64, p.concurrent64],
    ['token requests, 8 cluster workers at start', t.cluster8.atStart, p.cluster8.atStart],
    ['token requests, 8 cluster workers after every token expired', t.cluster8.afterExpiry, p.cluster8.afterExpiry],
    ['API calls answered 200 after expiry (of 8)', t.cluster8.okAfterExpiry, p.cluster8.okAfterExpiry],
    ['cached token, per call (µs)', (t.cachedNs / 1000).toFixed(2), (p.cachedNs / 1000).toFixed(2)],
    ["a cached token's accessToken, per read (ns)", t.getterNs.toFixed(1), '—'],
    ['cold start to first token, median of ' + runs + ' (ms)', t.coldMs.toFixed(0), p.coldMs.toFixed(0)],
  ]
  const md = ['| Node (mock) | tpauth (trustpilot-auth) | npm trustpilot 4.0.1 |', '|---|---:|---:|',
    ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`)].join('\n')
  console.log(md)
  console.log(`(node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0].toFixed(1)}; trustpilot's per-call figure is authenticate(), its public way to a token)`)
  const out = path.join(ROOT, 'bench/results')
  fs.mkdirSync(out, { recursive: true })
  fs.writeFileSync(path.join(out, 'node.json'), JSON.stringify({ node: process.version, load: os.loadavg()[0], quick, results: r }, null, 2) + '\n')
  fs.writeFileSync(path.join(out, 'node.md'), md + '\n')
})().catch((e) => { console.error(e); process.exit(1) })
