//! `application/x-www-form-urlencoded`, with every byte outside the unreserved set escaped
//! (passwords contain `&`, `=`, `+`, `%`, spaces and non-ASCII), and the core's one
//! percent-decoder (redirects, the Redis URL's password, server text searched for secrets).

/// Percent-encode `value` for a form body or query: `A-Z a-z 0-9 - . _ ~` stay, a space becomes
/// `%20`, every other byte of the UTF-8 encoding becomes `%XX` (uppercase hex).
///
/// ```
/// assert_eq!(tpauth::form_urlencode("p&ss=w+rd %é"), "p%26ss%3Dw%2Brd%20%25%C3%A9");
/// ```
pub fn form_urlencode(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len() + value.len() / 2);
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// A form body or query string from pairs, each side encoded.
pub(crate) fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&form_urlencode(k));
        out.push('=');
        out.push_str(&form_urlencode(v));
    }
    out
}

/// Decode a query or fragment (`a=1&b=x%20y`, `+` as space). `None` when a `%` escape is malformed
/// or the result is not UTF-8.
pub(crate) fn decode_pairs(s: &str) -> Option<Vec<(String, String)>> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((percent_decode(k, Plus::Space)?, percent_decode(v, Plus::Space)?))
        })
        .collect()
}

/// How a `+` reads: a space in a form body, a query or a fragment
/// (`application/x-www-form-urlencoded`), itself in a URL's userinfo (RFC 3986).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plus {
    Space,
    Literal,
}

/// The core's one percent-decoder: `%XX` becomes its byte and, with [`Plus::Space`], `+` a space.
/// A `%` that does not start a well-formed escape makes it `None` when `strict`, and is kept as
/// it is otherwise.
fn decode_bytes(s: &str, plus: Plus, strict: bool) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: Option<&u8>| c.and_then(|c| char::from(*c).to_digit(16));
        match b[i] {
            b'+' if plus == Plus::Space => out.push(b' '),
            b'%' => match (hex(b.get(i + 1)), hex(b.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(u8::try_from(hi * 16 + lo).ok()?);
                    i += 2;
                }
                _ if strict => return None,
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

/// Percent-decode `s` exactly: `None` when a `%` escape is malformed or the result is not UTF-8.
pub(crate) fn percent_decode(s: &str, plus: Plus) -> Option<String> {
    String::from_utf8(decode_bytes(s, plus, true)?).ok()
}

/// Percent-decode `s` wherever an escape is well-formed, keeping anything else as written
/// (invalid UTF-8 becomes U+FFFD): for searching text a server or a user may have encoded.
pub(crate) fn percent_decode_lossy(s: &str, plus: Plus) -> String {
    String::from_utf8_lossy(&decode_bytes(s, plus, false).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_reserved_byte() {
        assert_eq!(form_urlencode("p&s=w+r%d é:/"), "p%26s%3Dw%2Br%25d%20%C3%A9%3A%2F");
        assert_eq!(encode_pairs(&[("grant_type", "password"), ("a b", "c")]), "grant_type=password&a%20b=c");
    }

    #[test]
    fn decode_roundtrip() {
        let s = "x&y=1+2 =%E2%82%AC~";
        let enc = encode_pairs(&[("k", s)]);
        assert_eq!(decode_pairs(&enc).unwrap(), vec![("k".to_owned(), s.to_owned())]);
        assert!(decode_pairs("a=%zz").is_none());
        assert!(decode_pairs("a=%").is_none());
        assert!(decode_pairs("a=%FF").is_none());
    }

    #[test]
    fn lossy_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(percent_decode_lossy("p%40ss%2", Plus::Literal), "p@ss%2");
        assert_eq!(percent_decode_lossy("%zz%41+b", Plus::Literal), "%zzA+b");
        assert_eq!(percent_decode_lossy("%zz%41+b%FF", Plus::Space), "%zzA b\u{fffd}");
    }
}
