// The dist suite's Node program (tests/dist/node.sh on Linux, tests/dist/windows.sh under wine),
// copied into a project that installed trustpilot-auth: a password grant and an API call against
// the mock (TRUSTPILOT_* from the environment). argv[2] names the platform package it expects;
// the path of its .node is printed for the caller to check.
const tp = require('trustpilot-auth')
;(async () => {
  const auth = tp.Auth.fromEnv()
  console.log(`platform ${process.platform} ${process.arch} node ${process.version}`)
  console.log(`version ${tp.version}`)
  const tok = await auth.getToken()
  console.log(`grant ${tok.tokenType}`)
  const resp = await auth.request('GET', '/v1/private/business-units/dist-check')
  console.log(`api ${resp.status} ${resp.text()}`)
  console.log(`native ${require.resolve(process.argv[2])}`)
})().catch((e) => { console.error(`${e.name}: ${e.message}`); process.exit(1) })
