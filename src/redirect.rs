//! The browser flows: building the authorize URL, a fresh `state`, and reading the redirect back
//! (a code in the query, or a token in the fragment).

use crate::error::{Error, Result, Status};
use crate::token::Token;
use crate::url::{decode_pairs, encode_pairs, is_loopback_host, scheme_host};
use base64::Engine as _;

/// What the authorize page should send back: [`Auth::authorize_url`](crate::Auth::authorize_url)'s
/// `response_type`.
///
/// ```
/// use tpauth::ResponseType;
/// assert_eq!(ResponseType::parse("code")?, ResponseType::Code);
/// assert_eq!(ResponseType::Token.as_str(), "token");
/// # Ok::<(), tpauth::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseType {
    /// An authorization code, in the redirect's query (then exchanged by the server side).
    Code,
    /// An access token, in the redirect's fragment (the implicit grant).
    Token,
}

impl ResponseType {
    /// `"code"` or `"token"`, as the authorize URL carries it.
    ///
    /// ```
    /// assert_eq!(tpauth::ResponseType::Code.as_str(), "code");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::Token => "token",
        }
    }

    /// Parse `"code"` or `"token"`; anything else is `InvalidArgument`.
    ///
    /// ```
    /// use tpauth::{ResponseType, Status};
    /// assert_eq!(ResponseType::parse("token")?, ResponseType::Token);
    /// assert_eq!(ResponseType::parse("id_token").unwrap_err().status(), Status::InvalidArgument);
    /// # Ok::<(), tpauth::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<ResponseType> {
        match s {
            "code" => Ok(ResponseType::Code),
            "token" => Ok(ResponseType::Token),
            _ => Err(Error::invalid_argument(format!("response_type must be \"code\" or \"token\", got {s:?}"))),
        }
    }
}

/// A fresh OAuth `state`: 128 random bits from the OS, URL-safe base64 without padding (22
/// characters). Keep it with the user's session, put it in the authorize URL and check the
/// redirect against it.
///
/// ```
/// let state = tpauth::new_state();
/// assert_eq!(state.len(), 22);
/// assert_ne!(state, tpauth::new_state());
/// ```
pub fn new_state() -> String {
    let mut bytes = [0u8; 16];
    // getrandom only fails when the OS has no entropy source at all.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = clock_and_address();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The state's bytes without an entropy source: the clock (nanoseconds) and the address of a
/// stack value in the high half, rather than a predictable constant.
fn clock_and_address() -> [u8; 16] {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let addr = std::ptr::addr_of!(t) as usize as u128;
    (t ^ (addr << 64)).to_le_bytes()
}

/// A `redirect_uri` must be https. A native app's loopback listener (`http://127.0.0.1:PORT/…`,
/// RFC 8252 §7.3) is allowed only with `allow_loopback_redirect_uri=true`.
pub(crate) fn check_redirect_uri(redirect_uri: &str, allow_loopback: bool) -> Result<()> {
    if redirect_uri.chars().any(|c| c.is_control() || c == ' ') {
        return Err(Error::invalid_argument("redirect_uri must not contain spaces or control characters"));
    }
    match scheme_host(redirect_uri) {
        Some((s, _)) if s == "https" => Ok(()),
        Some((s, h)) if s == "http" && allow_loopback && is_loopback_host(&h) => Ok(()),
        Some((s, _)) if s == "http" => Err(Error::invalid_argument(format!(
            "redirect_uri must use https (got {redirect_uri:?}); a loopback http listener (RFC 8252) needs allow_loopback_redirect_uri=true"
        ))),
        _ => Err(Error::invalid_argument(format!("redirect_uri must be an absolute https URL, got {redirect_uri:?}"))),
    }
}

/// `{authorize_url}?client_id=KEY&redirect_uri=…&response_type=…&state=…`.
#[cfg(test)]
pub(crate) fn build_authorize_url(
    authorize_url: &str,
    api_key: &str,
    redirect_uri: &str,
    response_type: ResponseType,
    state: Option<&str>,
) -> String {
    build_authorize_url_with(authorize_url, api_key, redirect_uri, response_type, state, &[])
}

/// As `build_authorize_url`, followed by `extra` parameters (scope, PKCE challenge).
pub(crate) fn build_authorize_url_with(
    authorize_url: &str,
    api_key: &str,
    redirect_uri: &str,
    response_type: ResponseType,
    state: Option<&str>,
    extra: &[(&str, &str)],
) -> String {
    let mut pairs = vec![("client_id", api_key), ("redirect_uri", redirect_uri), ("response_type", response_type.as_str())];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.extend_from_slice(extra);
    let sep = if authorize_url.contains('?') { '&' } else { '?' };
    format!("{authorize_url}{sep}{}", encode_pairs(&pairs))
}

/// Decoded `key=value` parameters, in order.
type Params = Vec<(String, String)>;

/// Split a redirect URL into its query and fragment parameters.
///
/// Refused with `InvalidArgument`: malformed percent-encoding, a NUL (`%00`) anywhere in a name
/// or value (a C caller would see the value cut short, or a check pass on a prefix), and any OAuth
/// parameter (`code`, `access_token`, `state`, `error`, ...) given twice in the same part. A
/// duplicated parameter is how a forged redirect smuggles a second `state` or `code` past a
/// check that reads the first while another reader takes the last, so no copy is chosen: the
/// whole redirect is refused (INVALID_ARGUMENT rather than STATE_MISMATCH, since the state was
/// never compared).
fn split_redirect(url: &str) -> Result<(Params, Params)> {
    if url.trim().is_empty() {
        return Err(Error::invalid_argument("redirect_url is empty"));
    }
    let (before_frag, fragment) = url.split_once('#').map_or((url, ""), |(a, b)| (a, b));
    let query = before_frag.split_once('?').map_or("", |(_, q)| q);
    let parse = |part: &str, text: &str| -> Result<Params> {
        let params =
            decode_pairs(text).ok_or_else(|| Error::invalid_argument(format!("redirect_url: malformed percent-encoding in the {part}")))?;
        if params.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(Error::invalid_argument(format!("redirect_url: the {part} contains a NUL (%00); it may be forged")));
        }
        for (i, (k, _)) in params.iter().enumerate() {
            if DUPLICATE_CHECKED.contains(&k.as_str()) && params[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(Error::invalid_argument(format!(
                    "redirect_url: the {part} carries {k:?} more than once; it may be forged: start the flow again"
                )));
            }
        }
        Ok(params)
    };
    Ok((parse("query", query)?, parse("fragment", fragment)?))
}

/// The parameters a redirect may carry only once.
const DUPLICATE_CHECKED: [&str; 9] =
    ["code", "access_token", "state", "error", "error_description", "token_type", "expires_in", "refresh_token", "scope"];

/// The longest `error` code and `error_description` a message repeats.
const MAX_ERROR_CODE: usize = 64;
const MAX_ERROR_DESCRIPTION: usize = 200;

/// `s` with control characters replaced by spaces, at most `max` characters.
fn printable(s: &str, max: usize) -> String {
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).take(max).collect();
    clean.trim().to_owned()
}

fn get<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

const OAUTH_PARAMS: [&str; 5] = ["code", "access_token", "state", "error", "error_description"];

fn has_oauth_params(params: &[(String, String)]) -> bool {
    params.iter().any(|(k, _)| OAUTH_PARAMS.contains(&k.as_str()))
}

/// Check `error=` (access denied) and `state` of a redirect's parameters.
fn check_params(params: &[(String, String)], expected_state: Option<&str>) -> Result<()> {
    let state = get(params, "state");
    if let Some(expected) = expected_state {
        if state != Some(expected) {
            let what = if state.is_none() {
                "carries no state, although this authorization started with one"
            } else {
                "carries another state than the one this authorization started with"
            };
            return Err(Error::new(Status::StateMismatch, format!("the redirect {what}: it may be forged; start the flow again")));
        }
    }
    if let Some(error) = get(params, "error") {
        // Both come from the browser's URL, which anyone can craft: no control characters, and a
        // bounded length (a 64 MiB description must not make a 64 MiB message).
        let error = printable(error, MAX_ERROR_CODE);
        let desc = get(params, "error_description")
            .map(|d| printable(d, MAX_ERROR_DESCRIPTION))
            .filter(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        return Err(Error::new(Status::AccessDenied, format!("the authorization was refused: {error}{desc}")).with_oauth_code(Some(error)));
    }
    Ok(())
}

/// The authorization code from a code-flow redirect (`…?code=…&state=…`). With `expected_state`,
/// the redirect's `state` must equal it. A duplicated OAuth parameter or a `%00` is
/// `InvalidArgument` (see `split_redirect`); `error`/`error_description` are repeated cleaned
/// and capped (64 and 200 characters). A different `state` is `StateMismatch`; `error=...`
/// (the user declined) is `AccessDenied`.
///
/// ```
/// use tpauth::{parse_code_redirect, Status};
/// let code = parse_code_redirect("https://app.example/cb?code=abc123&state=s1", Some("s1"))?;
/// assert_eq!(code, "abc123");
/// let wrong = parse_code_redirect("https://app.example/cb?code=abc123&state=s2", Some("s1"));
/// assert_eq!(wrong.unwrap_err().status(), Status::StateMismatch);
/// let declined = parse_code_redirect("https://app.example/cb?error=access_denied&state=s1", Some("s1"));
/// assert_eq!(declined.unwrap_err().status(), Status::AccessDenied);
/// # Ok::<(), tpauth::Error>(())
/// ```
pub fn parse_code_redirect(redirect_url: &str, expected_state: Option<&str>) -> Result<String> {
    let (query, fragment) = split_redirect(redirect_url)?;
    if has_oauth_params(&fragment) {
        return Err(Error::invalid_argument(
            "redirect_url carries OAuth parameters in its fragment: a code redirect carries them in the query only",
        ));
    }
    check_params(&query, expected_state)?;
    match get(&query, "code") {
        Some(code) if !code.is_empty() => Ok(code.to_owned()),
        _ => Err(Error::invalid_argument("redirect_url has no code parameter")),
    }
}

/// The token from an implicit-flow redirect (`…#access_token=…&token_type=bearer&expires_in=…&state=…`).
/// With `expected_state`, the redirect's `state` must equal it (else `StateMismatch`).
///
/// ```
/// let url = "https://app.example/cb#access_token=AT&token_type=bearer&expires_in=3600&state=s1";
/// let token = tpauth::parse_implicit_redirect(url, Some("s1"))?;
/// assert_eq!(token.access_token(), "AT");
/// assert_eq!(token.expires_in(), 3600);
/// assert_eq!(token.refresh_token(), None);
/// # Ok::<(), tpauth::Error>(())
/// ```
pub fn parse_implicit_redirect(redirect_url: &str, expected_state: Option<&str>) -> Result<Token> {
    let (query, fragment) = split_redirect(redirect_url)?;
    if has_oauth_params(&query) {
        // An error may legitimately come in the query when the server could not use the fragment.
        if get(&query, "error").is_some() && fragment.is_empty() {
            check_params(&query, expected_state)?;
        }
        return Err(Error::invalid_argument(
            "redirect_url carries OAuth parameters in its query: an implicit redirect carries them in the fragment only",
        ));
    }
    check_params(&fragment, expected_state)?;
    if get(&fragment, "access_token").is_none() {
        return Err(Error::invalid_argument("redirect_url has no access_token in its fragment"));
    }
    Token::from_params(&fragment).map_err(|e| Error::invalid_argument(format!("redirect_url: {}", e.message())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_redirects() {
        assert_eq!(parse_code_redirect("https://x/cb?code=abc&state=s1", Some("s1")).unwrap(), "abc");
        assert_eq!(parse_code_redirect("https://x/cb?code=abc", None).unwrap(), "abc");
        assert_eq!(parse_code_redirect("https://x/cb?state=s1", Some("s1")).unwrap_err().status(), Status::InvalidArgument);
        let other = parse_code_redirect("https://x/cb?code=a&state=s2", Some("s1")).unwrap_err();
        assert_eq!(other.status(), Status::StateMismatch);
        assert_eq!(
            other.message(),
            "the redirect carries another state than the one this authorization started with: it may be forged; start the flow again"
        );
        let none = parse_code_redirect("https://x/cb?code=a", Some("s1")).unwrap_err();
        assert_eq!(
            none.message(),
            "the redirect carries no state, although this authorization started with one: it may be forged; start the flow again"
        );
        let denied = parse_code_redirect("https://x/cb?error=access_denied&state=s1", Some("s1")).unwrap_err();
        assert_eq!(denied.status(), Status::AccessDenied);
        assert_eq!(denied.oauth_code(), Some("access_denied"));
        assert_eq!(parse_code_redirect("https://x/cb?code=a#code=b", None).unwrap_err().status(), Status::InvalidArgument);
    }

    #[test]
    fn implicit_redirects() {
        let t = parse_implicit_redirect("https://x/cb#access_token=AT&token_type=bearer&expires_in=3600&state=s", Some("s")).unwrap();
        assert_eq!(t.access_token(), "AT");
        assert_eq!(t.expires_in(), 3600);
        assert_eq!(t.token_type(), Some("bearer"));
        assert!(!t.raw_json().contains("state"));
        assert_eq!(parse_implicit_redirect("https://x/cb?access_token=AT", None).unwrap_err().status(), Status::InvalidArgument);
        assert_eq!(parse_implicit_redirect("https://x/cb#error=access_denied", None).unwrap_err().status(), Status::AccessDenied);
    }

    #[test]
    fn duplicated_state_is_refused() {
        for url in
            ["https://x/cb?code=a&state=s&state=evil", "https://x/cb?code=a&state=evil&state=s", "https://x/cb?code=a&code=b&state=s"]
        {
            let e = parse_code_redirect(url, Some("s")).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{url}");
            assert!(e.message().contains("more than once"), "{e}");
        }
        for frag in
            ["access_token=A&access_token=B&state=s", "access_token=A&state=s&state=s", "access_token=A&expires_in=1&expires_in=9&state=s"]
        {
            let e = parse_implicit_redirect(&format!("https://x/cb#{frag}"), Some("s")).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{frag}");
        }
        // other parameters may repeat (they are the application's own)
        assert_eq!(parse_code_redirect("https://x/cb?x=1&x=2&code=a&state=s", Some("s")).unwrap(), "a");
    }

    #[test]
    fn nul_in_redirect_value_is_refused() {
        assert_eq!(parse_code_redirect("https://x/cb?code=a%00b&state=s", Some("s")).unwrap_err().status(), Status::InvalidArgument);
        assert_eq!(parse_code_redirect("https://x/cb?code=ab&state=s%00x", Some("s")).unwrap_err().status(), Status::InvalidArgument);
        assert_eq!(
            parse_implicit_redirect("https://x/cb#access_token=a%00&state=s", Some("s")).unwrap_err().status(),
            Status::InvalidArgument
        );
    }

    #[test]
    fn huge_error_description_is_capped_and_cleaned() {
        let big = "A".repeat(1 << 20);
        let e =
            parse_code_redirect(&format!("https://x/cb?error=access_denied&error_description={big}%0D%0AInjected: 1"), None).unwrap_err();
        assert_eq!(e.status(), Status::AccessDenied);
        assert!(e.message().len() < 400, "{} bytes", e.message().len());
        let e = parse_code_redirect("https://x/cb?error=access%0Adenied&error_description=line1%0D%0Aline2%1B[31m", None).unwrap_err();
        assert!(!e.message().chars().any(char::is_control), "{:?}", e.message());
        assert!(!e.oauth_code().unwrap().chars().any(char::is_control));
    }

    #[test]
    fn authorize_urls() {
        let u = build_authorize_url("https://authenticate.trustpilot.com", "K", "https://app/cb?x=1", ResponseType::Code, Some("st"));
        assert_eq!(
            u,
            "https://authenticate.trustpilot.com?client_id=K&redirect_uri=https%3A%2F%2Fapp%2Fcb%3Fx%3D1&response_type=code&state=st"
        );
        assert!(check_redirect_uri("http://app/cb", true).is_err());
        assert!(check_redirect_uri("http://127.0.0.1:9/cb", true).is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:9/cb", false).is_err());
        // A browser delivers the code to evil.example (it ends the authority at the backslash).
        for uri in ["http://evil.example\\@127.0.0.1/cb", "http://evil.example\\@localhost:9/cb", "http://evil.example\\@[::1]/cb"] {
            let e = check_redirect_uri(uri, true).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{uri}");
        }
        assert_eq!(new_state().len(), 22);
        assert_ne!(new_state(), new_state());
    }
}

// What mutation testing found unguarded in this file: each test fails when the rule it names is
// taken out (kept apart from the tests above, which other work edits).
#[cfg(test)]
mod rules_mutation_testing_found_unguarded {
    use super::*;

    #[test]
    fn response_type_names_parse() {
        assert_eq!(ResponseType::parse("code").unwrap(), ResponseType::Code);
        assert_eq!(ResponseType::parse("token").unwrap(), ResponseType::Token);
        assert_eq!(ResponseType::parse("Code").unwrap_err().status(), Status::InvalidArgument);
    }

    #[test]
    fn without_an_entropy_source_the_state_holds_the_clock_and_an_address() {
        let nanos = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let before = nanos();
        let b = clock_and_address();
        let after = nanos();
        let clock = u128::from(u64::from_le_bytes(b[..8].try_into().unwrap()));
        assert!((before..=after).contains(&clock), "the clock, in the low half");
        assert_ne!(b[8..], [0; 8], "the address, in the high half");
    }

    #[test]
    fn a_redirect_uri_with_a_space_or_a_control_character_is_refused() {
        for uri in ["https://app.example.com/call back", "https://app.example.com/cb\t", "https://app.example.com/cb\n"] {
            assert_eq!(check_redirect_uri(uri, true).unwrap_err().status(), Status::InvalidArgument, "{uri:?}");
        }
    }

    #[test]
    fn only_http_is_allowed_to_a_loopback_listener() {
        for uri in ["ftp://127.0.0.1:9/cb", "ws://127.0.0.1:9/cb", "file://localhost/cb"] {
            assert_eq!(check_redirect_uri(uri, true).unwrap_err().status(), Status::InvalidArgument, "{uri}");
        }
    }

    #[test]
    fn a_refusal_carries_its_description_and_an_empty_code_is_none() {
        let e = parse_code_redirect("https://x/cb?error=access_denied&error_description=User+declined", None).unwrap_err();
        assert_eq!(e.message(), "the authorization was refused: access_denied (User declined)");
        let e = parse_code_redirect("https://x/cb?error=access_denied&error_description=", None).unwrap_err();
        assert_eq!(e.message(), "the authorization was refused: access_denied");
        assert_eq!(parse_code_redirect("https://x/cb?code=&state=s", Some("s")).unwrap_err().status(), Status::InvalidArgument);
    }

    #[test]
    fn an_implicit_redirect_reads_an_error_from_its_query_only_when_its_fragment_is_empty() {
        // The server could not use the fragment: its error comes in the query.
        let e = parse_implicit_redirect("https://x/cb?error=access_denied&state=s", Some("s")).unwrap_err();
        assert_eq!(e.status(), Status::AccessDenied);
        // With a fragment, OAuth parameters in the query are a malformed redirect, whatever they say.
        let e = parse_implicit_redirect("https://x/cb?error=access_denied&state=s#access_token=a&state=s", Some("s")).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
        let e = parse_implicit_redirect("https://x/cb?access_token=a", Some("s")).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    }

    #[test]
    fn only_an_http_redirect_uri_is_told_about_the_loopback_option() {
        let e = check_redirect_uri("ftp://example.com/cb", true).unwrap_err();
        assert_eq!(e.message(), "redirect_uri must be an absolute https URL, got \"ftp://example.com/cb\"");
        let e = check_redirect_uri("http://example.com/cb", false).unwrap_err();
        assert!(e.message().contains("allow_loopback_redirect_uri=true"), "{e}");
    }
}
