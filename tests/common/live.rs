//! Live mode against local servers: the app's identity, a served stand-in playing Graph with a
//! token it accepts, and the env file and arguments of a `--target live` run.

use std::path::{Path, PathBuf};

use callspec::{request_token, Server};

use super::serve::{free_port, server, FAST};

pub const APP_ID: &str = "2891555a-92ff-42e6-80fa-6e1300c6b5c6";
pub const TENANT: &str = "aa67bd4c-8475-432d-bd41-39f255720e0a";

/// Graph: a served stand-in a hundred times faster than real time, and a token it accepts for
/// the app.
pub async fn graph() -> (Server, String) {
    let graph = server(FAST).await;
    let token = request_token(graph.uri(), Some(APP_ID), &[])
        .await
        .expect("the stand-in mints a token");
    (graph, token)
}

/// The settings of a live run against `graph_uri` (a staging tenant, a free callback port);
/// `extra` lines replace the line of the same key.
pub fn env_lines(graph_uri: &str, token_url: &str, secret: &str, extra: &[&str]) -> Vec<String> {
    let port = free_port();
    let mut lines = vec![
        format!("CALLSPEC_TENANT_ID={TENANT}"),
        "CALLSPEC_TENANT_KIND=staging".to_owned(),
        format!("CALLSPEC_CLIENT_ID={APP_ID}"),
        format!("CALLSPEC_CLIENT_SECRET={secret}"),
        format!("CALLSPEC_GRAPH_URL={graph_uri}"),
        format!("CALLSPEC_TOKEN_URL={token_url}"),
        format!("CALLSPEC_CALLBACK_PORT={port}"),
        format!("CALLSPEC_CALLBACK_URL=http://127.0.0.1:{port}/callback"),
        format!("CALLSPEC_OPENID_URL={graph_uri}/v1/.well-known/openidconfiguration"),
    ];
    for line in extra {
        let key = line.split('=').next().unwrap_or_default();
        lines.retain(|l| !l.starts_with(&format!("{key}=")));
        lines.push((*line).to_owned());
    }
    lines
}

/// Writes `lines` to `<name>.env` in the tests' temp dir.
pub fn env_file(name: &str, lines: &[String]) -> PathBuf {
    let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.env"));
    std::fs::write(&file, lines.join("\n")).expect("a writable temp dir");
    file
}

/// `callspec run <args> --target live --env <env>`'s arguments.
pub fn live_args(env: &Path, args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend(["--target", "live", "--env"].map(String::from));
    all.push(env.display().to_string());
    all
}
