//! Hand-rolled argument parsing: `--flag value`, `--flag=value`, boolean `--flag`, repeatable
//! `--flag value` (each occurrence kept), a one-letter alias (`-o value`), `-h`/`--help`.

use std::collections::HashMap;

/// A command-line mistake: printed with the command's usage, exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

/// One flag a command accepts.
pub struct Flag {
    pub name: &'static str,
    /// Takes a value (`--name VALUE`); otherwise a switch.
    pub value: bool,
    /// May be given several times (every value is kept, in order).
    pub repeat: bool,
    /// A one-letter alias (`-o VALUE` for `--option VALUE`).
    pub short: Option<char>,
}

pub const fn opt(name: &'static str) -> Flag {
    Flag { name, value: true, repeat: false, short: None }
}

pub const fn switch(name: &'static str) -> Flag {
    Flag { name, value: false, repeat: false, short: None }
}

/// A flag that takes a value and may be repeated. (Only `tpauth serve` has such flags, and it is
/// built on Unix only.)
#[cfg_attr(not(unix), allow(dead_code))]
pub const fn many(name: &'static str) -> Flag {
    Flag { name, value: true, repeat: true, short: None }
}

/// A repeatable flag with a one-letter alias.
#[cfg_attr(not(unix), allow(dead_code))]
pub const fn many_short(name: &'static str, short: char) -> Flag {
    Flag { name, value: true, repeat: true, short: Some(short) }
}

/// What was given.
#[derive(Debug, Default)]
pub struct Parsed {
    values: HashMap<&'static str, String>,
    repeated: HashMap<&'static str, Vec<String>>,
    switches: Vec<&'static str>,
    pub help: bool,
}

impl Parsed {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn require(&self, name: &str) -> Result<&str, UsageError> {
        self.get(name).ok_or_else(|| UsageError(format!("--{name} is required")))
    }

    pub fn has(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// Every value of a repeatable flag, in the order given.
    #[cfg_attr(not(unix), allow(dead_code))]
    pub fn all(&self, name: &str) -> &[String] {
        self.repeated.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Parse `args` (after the command name) against `flags`. No positional arguments are accepted.
pub fn parse(args: &[String], flags: &[Flag]) -> Result<Parsed, UsageError> {
    let mut out = Parsed::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            out.help = true;
            continue;
        }
        let (flag, inline) = if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (body, None),
            };
            let Some(flag) = flags.iter().find(|f| f.name == name) else {
                return Err(UsageError(format!("unknown option --{name}")));
            };
            (flag, inline)
        } else if let Some(letter) = arg.strip_prefix('-').and_then(|s| s.chars().next()) {
            // `-o VALUE` or `-oVALUE`.
            let Some(flag) = flags.iter().find(|f| f.short == Some(letter)) else {
                return Err(UsageError(format!("unknown option -{letter}")));
            };
            let rest = &arg[1 + letter.len_utf8()..];
            (flag, if rest.is_empty() { None } else { Some(rest.to_owned()) })
        } else {
            return Err(UsageError(format!("unexpected argument {arg:?}")));
        };
        let name = flag.name;
        if flag.value {
            let value = match inline {
                Some(v) => v,
                None => it.next().cloned().ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
            };
            if flag.repeat {
                out.repeated.entry(flag.name).or_default().push(value);
            } else if out.values.insert(flag.name, value).is_some() {
                return Err(UsageError(format!("--{name} given twice")));
            }
        } else {
            if inline.is_some() {
                return Err(UsageError(format!("--{name} takes no value")));
            }
            out.switches.push(flag.name);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_values_switches_and_refuses_the_rest() {
        let flags = [opt("port"), switch("raw")];
        let p = parse(&v(&["--port", "8", "--raw"]), &flags).unwrap();
        assert_eq!((p.get("port"), p.has("raw")), (Some("8"), true));
        assert_eq!(parse(&v(&["--port=9"]), &flags).unwrap().get("port"), Some("9"));
        assert!(parse(&v(&["--nope"]), &flags).is_err());
        assert!(parse(&v(&["--port"]), &flags).is_err());
        assert!(parse(&v(&["stray"]), &flags).is_err());
        assert!(parse(&v(&["--raw=1"]), &flags).is_err());
        assert!(parse(&v(&["--help"]), &flags).unwrap().help);
        assert!(parse(&v(&["--port", "1", "--port", "2"]), &flags).is_err());
    }

    #[test]
    fn repeated_flags_and_short_aliases_keep_every_value() {
        let flags = [many("listen"), many_short("option", 'o')];
        let p = parse(&v(&["--listen", "unix:/a", "-o", "k=v", "--listen=tcp:127.0.0.1:1", "-ox=y", "--option", "z=1"]), &flags).unwrap();
        assert_eq!(p.all("listen"), ["unix:/a", "tcp:127.0.0.1:1"]);
        assert_eq!(p.all("option"), ["k=v", "x=y", "z=1"]);
        assert!(p.all("nothing").is_empty());
        assert!(parse(&v(&["-q"]), &flags).is_err());
        assert!(parse(&v(&["-o"]), &flags).is_err());
    }
}
