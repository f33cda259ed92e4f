//! The managed token from a `tpauth serve` (option `token_source=serve:…`): the renewal asks the
//! service instead of Trustpilot. A token this process saw refused (a 401, `invalidate_token`) is
//! reported with compare-and-invalidate, so that every process holding it causes one renewal at
//! the service between them; any other renewal (none yet, expired, due) asks for the service's
//! current token, which the service renews ahead of expiry itself.

use super::Inner;
use crate::error::Result;
use crate::log::log_event;
use crate::service::ServiceClient;
use crate::token::Token;

impl Inner {
    pub(super) fn renew_from_service(&self, service: &ServiceClient, replacing: Option<&Token>) -> Result<Token> {
        let identity = self.cfg.token_source_identity.as_deref();
        let answer = match replacing.filter(|m| self.managed.is_invalidated(m)) {
            Some(refused) => {
                log_event!(Info, "managed token: the API refused the token; asking {} to renew it", service.describe());
                service.invalidate(identity, refused.access_token())?
            }
            None => {
                log_event!(Info, "managed token: asking {} for its token", service.describe());
                service.get_token(identity)?
            }
        };
        Ok(answer.token)
    }
}
