// Compiled with `tsc --noEmit --strict` by ../test.sh: the declarations (native.d.ts generated from
// the Rust, index.d.ts for the JavaScript parts) describe the whole API.
import { Auth, Token, ApiResponse, TpauthError, RateLimitedError, InvalidGrantError, newState, newPkce, Pkce, parseCodeRedirect, parseImplicitRedirect, useTpauth, Status } from '..'
import axios from 'axios'

async function main(): Promise<void> {
  const auth = new Auth({ apiKey: 'k', apiSecret: 's', username: 'u', password: 'p', tokenCache: '/tmp/t.json', refreshLeewayS: 30 })
  const env: Auth = Auth.fromEnv({ timeoutMs: 5000 })
  const tok: Token = await auth.passwordGrant('u', 'p')
  const t2: Token = await auth.getToken()
  await auth.clientCredentialsGrant()
  await auth.authorizationCodeGrant('code', 'https://app.example/cb')
  await auth.refresh()
  await auth.refresh(tok.refreshToken)
  await auth.revoke()
  await auth.invalidateToken(t2)
  await auth.invalidateToken(t2.accessToken)
  await auth.setToken(Token.fromJson(tok.toJson()))
  const url: string = auth.authorizeUrl('https://app.example/cb', 'code', newState())
  const pkce: Pkce = newPkce()
  const verifier: string = pkce.verifier
  const pkceUrl: string = auth.authorizeUrl('https://app.example/cb', 'code', newState(), pkce.challenge)
  await auth.authorizationCodeGrant('code', 'https://app.example/cb', verifier)
  const code: string = parseCodeRedirect(url, 'state')
  const implicit: Token = parseImplicitRedirect(url)
  const resp: ApiResponse = await auth.request('POST', '/v1/x', { body: Buffer.from('x'), contentType: 'text/plain' })
  const status: number = resp.status
  const body: Buffer = resp.body
  const data: unknown = resp.json()
  const text: string = resp.text()
  const headers: Record<string, string> = resp.headers
  const fetched: Response = await auth.fetch('/v1/x', { method: 'GET' })
  const expiresAt: number | null = tok.expiresAt
  const eject: () => void = useTpauth(axios.create(), auth)
  eject()
  try {
    await auth.getToken()
  } catch (e) {
    if (e instanceof RateLimitedError) {
      const wait: number | null = e.retryAfter
      void wait
    } else if (e instanceof InvalidGrantError && e.oauthCode === 'invalid_grant' && e.status === Status.INVALID_GRANT) {
      const h: number | null = e.httpStatus
      void h
    } else if (e instanceof TpauthError) {
      void e.code
    }
  }
  void [env, pkceUrl, code, implicit, status, body, data, text, headers, fetched, expiresAt, implicit.raw]
}
void main
