//! The documentation against the repository: every suite `scripts/test-all.sh` runs has its row
//! in docs/testing.md (and every row a suite), and every relative link of the README, CONTRIBUTING
//! and the pages of docs/ leads to a file that exists.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The suite names of the `SUITES=( "name command" ... )` table of scripts/test-all.sh.
fn test_all_suites() -> Vec<String> {
    let script = read(&root().join("scripts/test-all.sh"));
    let start = script.find("\nSUITES=(").expect("scripts/test-all.sh has a SUITES=( table");
    let table = &script[start..];
    let table = &table[..table.find("\n)").expect("the SUITES table ends with a ) line")];
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().strip_prefix('"'))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_owned())
        .collect()
}

/// The first column of the table under "## The suites" in docs/testing.md, without backquotes.
fn documented_suites() -> Vec<String> {
    let page = read(&root().join("docs/testing.md"));
    let section = page.split("\n## The suites\n").nth(1).expect("docs/testing.md has a '## The suites' section");
    let section = section.split("\n## ").next().unwrap_or_default();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_start_matches('|').split('|').next().unwrap_or_default().trim().trim_matches('`').to_owned())
        .collect()
}

#[test]
fn every_suite_of_test_all_is_documented_in_order() {
    let suites = test_all_suites();
    assert!(suites.len() >= 10, "read too few suites from scripts/test-all.sh: {suites:?}");
    assert_eq!(
        documented_suites(),
        suites,
        "docs/testing.md's table of suites must list the suites of scripts/test-all.sh's SUITES, in its order"
    );
}

/// Pages moved from the README unchanged whose links are still written from the repository's root:
/// their owners fix them, then take them off this list.
const LINKS_NOT_YET_CHECKED: &[&str] = &["docs/benchmarks.md", "docs/release.md"];

/// The pages whose links are checked: the README, CONTRIBUTING and every page of docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("CONTRIBUTING.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    docs.retain(|p| !LINKS_NOT_YET_CHECKED.iter().any(|skip| p.ends_with(skip)));
    pages.extend(docs);
    pages
}

/// The targets of the markdown links `[text](target)` of `text`, outside code blocks and spans.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code_block = !in_code_block;
            continue;
        }
        if in_code_block {
            continue;
        }
        // Drop code spans: `[a](b)` inside backquotes is not a link.
        let mut plain = String::new();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                plain.push_str(part);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
    }
    targets
}

#[test]
fn every_relative_link_of_the_docs_leads_to_a_file() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let dir = page.parent().unwrap();
        for target in link_targets(&read(&page)) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            checked += 1;
            if !dir.join(file).exists() {
                broken.push(format!("{}: ({target})", page.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(checked > 20, "found too few relative links ({checked}): is the link reader broken?");
    assert!(broken.is_empty(), "links to files that do not exist:\n{}", broken.join("\n"));
}
