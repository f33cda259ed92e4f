'use strict'
// The loader (native.js, made by gen-native.js): it knows every platform the release builds
// (DIST_PLATFORMS in scripts/dist/lib.sh, darwin included), and when this platform's package is
// missing (npm skips optional dependencies silently) its error names the package and the command
// that installs it.
const { test } = require('node:test')
const assert = require('node:assert')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const NODE_DIR = path.resolve(__dirname, '..')
const LIB_SH = path.resolve(NODE_DIR, '../../scripts/dist/lib.sh')
const VERSION = require('../package.json').version

/** DIST_PLATFORMS's napi column, read independently of gen-native.js. */
function distNapiPlatforms() {
  const text = fs.readFileSync(LIB_SH, 'utf8')
  const columns = text.match(/^# DIST_COLUMNS: (.*)$/m)[1].trim().split(/\s+/)
  const table = text.match(/^DIST_PLATFORMS='\n([\s\S]*?)^'/m)[1]
  const i = columns.indexOf('napi')
  return table
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((r) => r.length === columns.length && r[i] !== '-')
    .map((r) => r[i])
}

test('the committed loader loads every package DIST_PLATFORMS builds', () => {
  const loader = fs.readFileSync(path.join(NODE_DIR, 'native.js'), 'utf8')
  const listed = JSON.parse(loader.match(/const PLATFORMS = (\[[\s\S]*?\])/)[1].replace(/'/g, '"').replace(/,\s*\]/, ']'))
  const built = distNapiPlatforms()
  for (const p of ['darwin-arm64', 'darwin-x64', 'linux-arm64-musl', 'win32-x64-gnu']) assert.ok(built.includes(p), `DIST_PLATFORMS lacks ${p}`)
  assert.deepStrictEqual([...listed].sort(), [...built].sort())
})

test('a missing platform package: the error names it and the command that installs it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tpauth-loader-'))
  try {
    // The main package as npm installs it with --omit=optional: no .node, no platform package.
    for (const f of ['index.js', 'native.js', 'package.json']) fs.copyFileSync(path.join(NODE_DIR, f), path.join(dir, f))
    const r = spawnSync(process.execPath, ['-e', "try { require('./index.js') } catch (e) { console.log(e.code); console.log(e.message); process.exit(3) }"], {
      cwd: dir,
      encoding: 'utf8',
    })
    assert.strictEqual(r.status, 3, r.stderr)
    const musl = !process.report.getReport().header.glibcVersionRuntime
    const pkg = `trustpilot-auth-${process.platform}-${process.arch}${process.platform === 'linux' ? (musl ? '-musl' : '-gnu') : ''}`
    const [code, message] = r.stdout.split('\n')
    assert.strictEqual(code, 'TPAUTH_NATIVE_MISSING')
    assert.match(message, new RegExp(`the package ${pkg} is not installed`))
    assert.ok(message.includes(`npm install ${pkg}@${VERSION}`), message)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
