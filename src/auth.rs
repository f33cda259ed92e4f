//! The client: grants, refresh, revoke, the managed token and API calls.
use crate::config::Config;
use crate::error::Result;
use crate::redirect::ResponseType;
use crate::response::Response;
use crate::token::Token;

/// A Trustpilot client. `Send + Sync`: share one per application (e.g. in an `Arc`).
pub struct Auth {
    _cfg: Config,
}

#[allow(clippy::unused_self, unused_variables)]
impl Auth {
    /// A client for this configuration (copied).
    pub fn new(cfg: &Config) -> Result<Auth> { todo!() }
    /// The password grant; the token becomes the current one.
    pub fn password_grant(&self, username: &str, password: &str) -> Result<Token> { todo!() }
    /// The client-credentials grant; the token becomes the current one.
    pub fn client_credentials_grant(&self) -> Result<Token> { todo!() }
    /// Exchange an authorization code; `redirect_uri` must equal the authorize URL's.
    pub fn authorization_code_grant(&self, code: &str, redirect_uri: &str) -> Result<Token> { todo!() }
    /// Refresh `refresh_token`, or the current token's when `None`.
    pub fn refresh(&self, refresh_token: Option<&str>) -> Result<Token> { todo!() }
    /// Revoke `refresh_token`, or the current token's when `None`.
    pub fn revoke(&self, refresh_token: Option<&str>) -> Result<()> { todo!() }
    /// The managed token.
    pub fn get_token(&self) -> Result<Token> { todo!() }
    /// Drop the current token if it is still `access_token`.
    pub fn invalidate_token(&self, access_token: &str) -> Result<()> { todo!() }
    /// Make `token` the current one.
    pub fn set_token(&self, token: &Token) -> Result<()> { todo!() }
    /// The authorize page URL.
    pub fn authorize_url(&self, redirect_uri: &str, response_type: ResponseType, state: Option<&str>) -> Result<String> { todo!() }
    /// An API call with the managed token.
    pub fn request(&self, method: &str, url_or_path: &str, body: Option<&[u8]>, content_type: Option<&str>) -> Result<Response> { todo!() }
}
