//! Whose identity the current token belongs to, kept by the state machine together with the token:
//! the sequential cases, each through `Managed`'s own API (`loom_tests.rs` races them).

use super::managed::{Identity, Managed, Renewal};
use crate::error::Result;
use crate::token::Token;
use std::sync::Mutex;

fn named(name: &str) -> Token {
    Token::from_response_at(&format!(r#"{{"access_token":"{name}","refresh_token":"rt-{name}","expires_in":3600}}"#), None, 0).unwrap()
}

/// A renewal that answers `answer`, and (when set) first makes `during` current, as a
/// `set_token` on another thread would while the renewal waits for the token endpoint.
struct Fake<'a> {
    managed: &'a Managed,
    answer: (Token, Identity),
    during: Option<(Token, Identity)>,
    /// What each renewal was handed: the token it replaced and whose identity it belonged to.
    handed: Mutex<Vec<(Option<String>, Identity)>>,
}

impl Renewal for Fake<'_> {
    fn now_ms(&self) -> i64 {
        1_000
    }

    fn renew(&self, current: Option<&Token>, whose: Identity) -> Result<(Token, Identity)> {
        self.handed.lock().unwrap().push((current.map(|t| t.access_token().to_owned()), whose));
        if let Some((t, w)) = &self.during {
            self.managed.adopt(t, *w);
        }
        Ok(self.answer.clone())
    }
}

fn fake(managed: &Managed, answer: (Token, Identity), during: Option<(Token, Identity)>) -> Fake<'_> {
    Fake { managed, answer, during, handed: Mutex::new(Vec::new()) }
}

fn current(m: &Managed) -> Option<(String, Identity)> {
    m.current().map(|(t, w)| (t.access_token().to_owned(), w))
}

#[test]
fn the_identity_changes_with_the_token_and_is_read_with_its_refresh_token() {
    let m = Managed::new(60);
    assert_eq!(current(&m), None);
    m.adopt(&named("theirs"), Identity::Other);
    assert_eq!(current(&m), Some(("theirs".into(), Identity::Other)));
    assert_eq!(m.refresh_token(), Some(("rt-theirs".into(), Identity::Other)));
    m.adopt(&named("mine"), Identity::Configured);
    assert_eq!(m.refresh_token(), Some(("rt-mine".into(), Identity::Configured)));
    m.adopt(&named("theirs-again"), Identity::Other);
    // Revoking it forgets the token and its identity: the next token is the configured one's.
    m.forget_revoked("rt-theirs-again");
    assert_eq!(current(&m), None);
}

#[test]
fn a_renewal_is_handed_the_identity_of_the_token_it_replaces_and_its_answer_keeps_its_own() {
    let m = Managed::new(60);
    m.adopt(&named("theirs"), Identity::Other);
    m.invalidate("theirs");
    // Another identity's refresh token was refused: the renewal fell back to the configured one.
    let f = fake(&m, (named("mine"), Identity::Configured), None);
    assert_eq!(m.get_token(&f).unwrap().access_token(), "mine");
    assert_eq!(*f.handed.lock().unwrap(), [(Some("theirs".to_owned()), Identity::Other)]);
    assert_eq!(current(&m), Some(("mine".into(), Identity::Configured)));
    // And the other way: the renewal of another identity's token stays that identity's.
    m.adopt(&named("theirs-2"), Identity::Other);
    m.invalidate("theirs-2");
    let f = fake(&m, (named("theirs-3"), Identity::Other), None);
    assert_eq!(m.get_token(&f).unwrap().access_token(), "theirs-3");
    assert_eq!(current(&m), Some(("theirs-3".into(), Identity::Other)));
}

#[test]
fn a_token_set_during_a_renewal_stays_current_with_its_own_identity() {
    let m = Managed::new(60);
    m.adopt(&named("theirs"), Identity::Other);
    m.invalidate("theirs");
    // The renewal falls back to the configured identity while another identity's token is set.
    let f = fake(&m, (named("mine"), Identity::Configured), Some((named("set-meanwhile"), Identity::Other)));
    assert_eq!(m.get_token(&f).unwrap().access_token(), "set-meanwhile");
    assert_eq!(current(&m), Some(("set-meanwhile".into(), Identity::Other)));
    // The other way round: a configured token set during another identity's renewal.
    m.invalidate("set-meanwhile");
    let f = fake(&m, (named("theirs-2"), Identity::Other), Some((named("mine-set"), Identity::Configured)));
    assert_eq!(m.get_token(&f).unwrap().access_token(), "mine-set");
    assert_eq!(current(&m), Some(("mine-set".into(), Identity::Configured)));
}
