//! What a `token_cache` Redis URL names (section 5 of the contract): one server, a Cluster (the
//! hosts are seeds) or the master a set of Sentinels knows by name; with TLS or not, an ACL user,
//! a password and a database. Parsed here, by hand, because the redis crate's parser takes one host
//! only, and because every part is checked before any byte leaves the process: a query or fragment
//! (the crate reads `#insecure` as "skip certificate checks") is refused, and so is plain `redis://`
//! to a host that is not a loopback address unless `allow_insecure_redis` says so.

use crate::error::{Error, Result};
use crate::url::{percent_decode_lossy, Plus};
use zeroize::Zeroizing;

/// Which kind of Redis deployment the URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Topology {
    /// `redis://` / `rediss://`: one server.
    Single,
    /// `redis+cluster://` / `rediss+cluster://`: a Redis Cluster found through seed nodes.
    Cluster,
    /// `redis+sentinel://…/MASTER`: the master named MASTER, found through Sentinels.
    Sentinel { master: String },
}

/// A parsed `token_cache` Redis URL.
pub(crate) struct Target {
    pub(crate) topology: Topology,
    pub(crate) tls: bool,
    /// The server, the seeds or the Sentinels, as `(host, port)`; an IPv6 host without brackets.
    pub(crate) hosts: Vec<(String, u16)>,
    /// The ACL user of the data nodes, if any.
    pub(crate) username: Option<String>,
    /// The password in the URL, percent-decoded (`cache_password_file` overrides it).
    pub(crate) password: Option<Zeroizing<String>>,
    /// The password as written in the URL (scrubbed from messages too).
    pub(crate) password_raw: Option<Zeroizing<String>>,
    pub(crate) db: i64,
    /// The URL without user and password, for messages.
    pub(crate) shown: String,
}

const EXPECTED: &str = "expected redis://[user[:password]@]host[:port][/db], redis+cluster://[user[:password]@]host:port[,host:port…] \
                        or redis+sentinel://[user[:password]@]host:port[,host:port…]/MASTER[/db] (rediss… for TLS)";

impl Target {
    /// Parse `spec`; `allow_insecure` is the `allow_insecure_redis` option.
    pub(crate) fn parse(spec: &str, allow_insecure: bool) -> Result<Target> {
        let (scheme, rest) = spec.split_once("://").unwrap_or(("", spec));
        let scheme = scheme.to_ascii_lowercase();
        // Until the userinfo is known, show nothing after the scheme that could be a password.
        let early = crate::url::redact_url(spec);
        let bad = |shown: &str, why: &str| {
            Error::invalid_argument(format!("option token_cache: {shown:?} is not a usable Redis URL ({why}); {EXPECTED}"))
        };
        let missing = |feature: &str| {
            Error::invalid_argument(format!(
                "option token_cache: {early:?}: this build of tpauth has no support for this Redis topology (cargo feature \"{feature}\")"
            ))
        };
        if scheme.ends_with("+cluster") && !cfg!(feature = "redis-cluster") {
            return Err(missing("redis-cluster"));
        }
        if scheme.ends_with("+sentinel") && !cfg!(feature = "redis-sentinel") {
            return Err(missing("redis-sentinel"));
        }
        let (tls, topology_kind) = match scheme.as_str() {
            "redis" => (false, 0),
            "rediss" => (true, 0),
            "redis+cluster" => (false, 1),
            "rediss+cluster" => (true, 1),
            "redis+sentinel" => (false, 2),
            "rediss+sentinel" => (true, 2),
            _ => return Err(bad(&early, "unknown scheme")),
        };
        // The userinfo ends at the last '@' (a password may hold an unescaped '/', never a host).
        let (userinfo, after) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let (hostlist, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let authority = hostlist;
        let shown =
            format!("{scheme}://{}{hostlist}{}", if userinfo.is_some() { "***@" } else { "" }, path.split(['?', '#']).next().unwrap_or(""));
        if rest.contains(['?', '#']) {
            // Before the userinfo is trusted to end at '@': a '?' or '#' may sit inside a password.
            return Err(bad(
                &early,
                "a query or fragment: tpauth takes none (the redis crate's #insecure would turn certificate checks off)",
            ));
        }
        if !authority.is_ascii() || hostlist.contains('%') || path.contains('%') && topology_kind != 2 {
            return Err(bad(&shown, "non-ASCII or a %-escape in the host: percent-encode the password, write the host in punycode"));
        }
        let (username, password, password_raw) = match userinfo {
            None => (None, None, None),
            Some(u) => {
                let (user, pass) = match u.split_once(':') {
                    Some((user, pass)) => (user, Some(pass)),
                    None => (u, None),
                };
                let user = percent_decode_lossy(user, Plus::Literal);
                (
                    (!user.is_empty()).then_some(user),
                    pass.filter(|p| !p.is_empty()).map(|p| Zeroizing::new(percent_decode_lossy(p, Plus::Literal))),
                    pass.filter(|p| !p.is_empty()).map(|p| Zeroizing::new(p.to_owned())),
                )
            }
        };
        let default_port = if topology_kind == 2 { 26379 } else { 6379 };
        let mut hosts = Vec::new();
        for h in hostlist.split(',') {
            hosts.push(parse_host_port(h, default_port).map_err(|why| bad(&shown, &why))?);
        }
        if topology_kind == 0 && hosts.len() > 1 {
            return Err(bad(&shown, "several hosts: for a Cluster use redis+cluster://, for Sentinels redis+sentinel://…/MASTER"));
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let parse_db = |s: &str| {
            s.parse::<i64>().ok().filter(|d| (0..=1_000_000).contains(d)).ok_or_else(|| bad(&shown, "the database is not a number"))
        };
        let (topology, db) = match (topology_kind, segments.as_slice()) {
            (0, []) => (Topology::Single, 0),
            (0, [db]) => (Topology::Single, parse_db(db)?),
            (1, []) => (Topology::Cluster, 0),
            (1, ["0"]) => (Topology::Cluster, 0),
            (1, _) => return Err(bad(&shown, "a Redis Cluster has only database 0: give no /db")),
            (2, [master]) => (Topology::Sentinel { master: percent_decode_lossy(master, Plus::Literal) }, 0),
            (2, [master, db]) => (Topology::Sentinel { master: percent_decode_lossy(master, Plus::Literal) }, parse_db(db)?),
            (2, []) => return Err(bad(&shown, "no master name: redis+sentinel://host:port/MASTER")),
            _ => return Err(bad(&shown, "too many path segments")),
        };
        if let Topology::Sentinel { master } = &topology {
            if master.is_empty() || master.chars().any(|c| c.is_control() || c == ' ') {
                return Err(bad(&shown, "the master name is empty or holds spaces or control characters"));
            }
        }
        if !tls && !allow_insecure {
            if let Some((h, _)) = hosts.iter().find(|(h, _)| !crate::url::is_loopback_host(h)) {
                return Err(Error::invalid_argument(format!(
                    "option token_cache: {shown:?}: plain redis:// to {h}, which is not a loopback host, would send the Redis password and every token in clear text; \
                     use rediss:// (TLS), or set allow_insecure_redis=true on a network you trust"
                )));
            }
        }
        Ok(Target { topology, tls, hosts, username, password, password_raw, db, shown })
    }
}

/// `host[:port]`, `[v6][:port]`.
fn parse_host_port(s: &str, default_port: u16) -> std::result::Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or("an IPv6 host without its closing ]")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("something after the IPv6 host that is not :port")?),
        };
        (h, port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if host.chars().any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))) {
        return Err(format!("{host:?} is not a host name or address"));
    }
    let port = match port {
        None => default_port,
        Some(p) => {
            p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| format!("the port of {host} is not a number from 1 to 65535"))?
        }
    };
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Target {
        Target::parse(spec, false).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    #[test]
    fn every_topology_of_the_contract() {
        let t = parse("redis://:pw@127.0.0.1:6380/2");
        assert_eq!((t.topology, t.tls, t.hosts, t.db), (Topology::Single, false, vec![("127.0.0.1".into(), 6380)], 2));
        assert_eq!(t.password.as_deref().map(String::as_str), Some("pw"));
        assert_eq!(t.shown, "redis://***@127.0.0.1:6380/2");
        let t = parse("rediss+cluster://app:p%40ss@a.example:7000,b.example:7001,[::1]");
        assert_eq!(t.topology, Topology::Cluster);
        assert!(t.tls);
        assert_eq!(t.hosts, vec![("a.example".into(), 7000), ("b.example".into(), 7001), ("::1".into(), 6379)]);
        assert_eq!((t.username.as_deref(), t.password.as_deref().map(String::as_str)), (Some("app"), Some("p@ss")));
        assert_eq!(t.shown, "rediss+cluster://***@a.example:7000,b.example:7001,[::1]");
        let t = parse("redis+sentinel://localhost:26379,127.0.0.1/mymaster/3");
        assert_eq!(t.topology, Topology::Sentinel { master: "mymaster".into() });
        assert_eq!((t.hosts[1].1, t.db), (26379, 3));
        let t = parse("REDISS://cache.internal");
        assert_eq!((t.tls, t.hosts[0].1, t.db), (true, 6379, 0));
    }

    #[test]
    fn refused_forms_say_why_without_the_password() {
        for (spec, why) in [
            ("redis://:hunter2@", "no host"),
            ("redis://:hunter2@h1:1,h2:2/0", "several hosts"),
            ("redis+cluster://:hunter2@127.0.0.1:7000/3", "only database 0"),
            ("redis+sentinel://:hunter2@127.0.0.1:26379", "no master name"),
            ("rediss://:hunter2@cache.internal/0#insecure", "query or fragment"),
            ("rediss://:hunter2@cache.internal/0?protocol=resp3", "query or fragment"),
            ("redis://:hunter2@127.0.0.1:0/0", "port"),
            ("redis://:hunter2@127.0.0.1:6379/x", "not a number"),
            ("redis://:hun/ter2@127.0.0.1:6379/x", "not a number"),
            ("memcached://:hunter2@h/0", "unknown scheme"),
            ("redis://:hunter2@10.0.0.5:6379/0", "allow_insecure_redis"),
            ("redis+cluster://:hunter2@127.0.0.1:7000,cache.internal:7000", "allow_insecure_redis"),
        ] {
            let e = Target::parse(spec, false).err().unwrap_or_else(|| panic!("{spec} accepted"));
            assert!(e.message().contains(why), "{spec}: {e}");
            assert!(!e.message().contains("hunter2"), "{spec}: {e}");
        }
        // The option lets plain redis:// reach another host; loopback never needs it.
        assert!(Target::parse("redis://:pw@10.0.0.5:6379/0", true).is_ok());
        assert!(Target::parse("redis://:pw@[::1]:6379/0", false).is_ok());
        assert!(Target::parse("redis://:pw@localhost/0", false).is_ok());
    }
}
