// `napi build ... --js native.js --pipe "node loader-win32-gnu.js"` runs this on the loader it
// has just generated (and on the .d.ts, left alone). @napi-rs/cli 2.18's loader template knows
// only win32-x64-msvc, whatever napi.triples lists; the Windows package is built with mingw-w64
// (x86_64-pc-windows-gnu → napi's platform name win32-x64-gnu). This adds, in the template's own
// style, a second attempt to the win32/x64 branch: tpauth.win32-x64-gnu.node beside the loader,
// else the package trustpilot-auth-win32-x64-gnu. Idempotent; exits non-zero if the template
// changed shape (test.sh then finds native.js stale).
'use strict'
const fs = require('fs')

const file = process.argv[2]
if (!file || !file.endsWith('.js')) process.exit(0)
const src = fs.readFileSync(file, 'utf8')
if (src.includes('win32-x64-gnu')) process.exit(0)

const block = (abi, indent) =>
  [
    `localFileExisted = existsSync(`,
    `  join(__dirname, 'tpauth.win32-x64-${abi}.node')`,
    `)`,
    `try {`,
    `  if (localFileExisted) {`,
    `    nativeBinding = require('./tpauth.win32-x64-${abi}.node')`,
    `  } else {`,
    `    nativeBinding = require('trustpilot-auth-win32-x64-${abi}')`,
    `  }`,
    `} catch (e) {`,
    `  loadError = e`,
    `}`,
  ]
    .map((l) => indent + l)
    .join('\n')

const msvc = `      case 'x64':\n${block('msvc', '        ')}\n        break\n`
if (!src.includes(msvc)) {
  console.error(`${file}: the win32/x64 branch of @napi-rs/cli's loader changed shape: update loader-win32-gnu.js`)
  process.exit(1)
}
const both = `      case 'x64':\n${block('msvc', '        ')}\n        if (!nativeBinding) {\n${block('gnu', '          ')}\n        }\n        break\n`
fs.writeFileSync(file, src.replace(msvc, both))
