//! Hand-rolled argument parsing: `--flag value`, `--flag=value`, boolean `--flag`, `-h`/`--help`.

use std::collections::HashMap;

/// A command-line mistake: printed with the command's usage, exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

/// One flag a command accepts.
pub struct Flag {
    pub name: &'static str,
    /// Takes a value (`--name VALUE`); otherwise a switch.
    pub value: bool,
}

pub const fn opt(name: &'static str) -> Flag {
    Flag { name, value: true }
}

pub const fn switch(name: &'static str) -> Flag {
    Flag { name, value: false }
}

/// What was given.
#[derive(Debug, Default)]
pub struct Parsed {
    values: HashMap<&'static str, String>,
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
        let Some(body) = arg.strip_prefix("--") else {
            return Err(UsageError(format!("unexpected argument {arg:?}")));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let Some(flag) = flags.iter().find(|f| f.name == name) else {
            return Err(UsageError(format!("unknown option --{name}")));
        };
        if flag.value {
            let value = match inline {
                Some(v) => v,
                None => it.next().cloned().ok_or_else(|| UsageError(format!("--{name} needs a value")))?,
            };
            if out.values.insert(flag.name, value).is_some() {
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
    }
}
