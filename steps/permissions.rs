//! Steps about the app's identity and its token.

use anyhow::Result;
use cucumber::given;

use crate::world::{CallWorld, TokenKind};

/// `Given the app has the permissions "Calls.Initiate.All, Calls.AccessMedia.All"`: the token's
/// `roles` claim lists exactly these.
#[given(expr = "the app has the permissions {string}")]
fn permissions(world: &mut CallWorld, list: String) -> Result<()> {
    world.roles = list
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(())
}

/// `Given the app has no permissions`: a token with an empty `roles` claim.
#[given("the app has no permissions")]
fn no_permissions(world: &mut CallWorld) {
    world.roles.clear();
}

#[given("the bot sends no token")]
fn no_token(world: &mut CallWorld) {
    world.token = TokenKind::Missing;
}

#[given("the bot sends an expired token")]
fn expired_token(world: &mut CallWorld) {
    world.token = TokenKind::Expired;
}

#[given("the bot uses a delegated token")]
fn delegated_token(world: &mut CallWorld) {
    world.token = TokenKind::Delegated;
}

/// `Given the bot's token is for the audience "https://management.azure.com"`: a token for
/// another API (Graph answers 401).
#[given(expr = "the bot's token is for the audience {string}")]
fn token_audience(world: &mut CallWorld, aud: String) {
    world.token_audience = Some(aud);
}

/// `Given the bot sends a valid token`: back to a good app-only token for Graph.
#[given("the bot sends a valid token")]
fn valid_token(world: &mut CallWorld) {
    world.token = TokenKind::Valid;
    world.token_audience = None;
}
