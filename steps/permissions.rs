//! Steps about the app's identity and its token.

use anyhow::{bail, Result};
use callspec::TokenSource;
use cucumber::given;

use crate::world::{CallWorld, TokenKind};

/// `Given the app has the permissions "Calls.Initiate.All, Calls.AccessMedia.All"`: the token's
/// `roles` claim lists exactly these (in live mode: the staging app must have been granted them).
#[given(expr = "the app has the permissions {string}")]
async fn permissions(world: &mut CallWorld, list: String) -> Result<()> {
    world.roles = list
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(live) = world.live() {
        let granted = TokenSource::roles_of(live.tokens.token().await?.expose());
        let missing: Vec<&String> = world
            .roles
            .iter()
            .filter(|r| !granted.contains(r))
            .collect();
        if !missing.is_empty() {
            bail!(
                "the staging app lacks {missing:?} (its token grants {granted:?}): grant them in \
                 the app registration, with admin consent"
            );
        }
    }
    Ok(())
}

/// `Given the app has no permissions`: a token with an empty `roles` claim.
#[given("the app has no permissions")]
fn no_permissions(world: &mut CallWorld) {
    world.roles.clear();
}

/// `Given the bot sends no token`: no `Authorization` header.
#[given("the bot sends no token")]
fn no_token(world: &mut CallWorld) {
    world.token = TokenKind::Missing;
}

/// `Given the bot sends an expired token`: a token that expired an hour ago.
#[given("the bot sends an expired token")]
fn expired_token(world: &mut CallWorld) {
    world.token = TokenKind::Expired;
}

/// `Given the bot uses a delegated token`: a token with `scp` and no `roles` (Graph refuses
/// delegated tokens for calls).
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
