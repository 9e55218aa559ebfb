//! The request a [`Handler`](super::Handler) sees: checked, its body read in full, its URL the
//! path within the space (the space's key taken off) and the query.
//!
//! callspec's own type: wiremock's `Request` has the same four fields, but depending on the
//! mock library for a struct pulled its whole server into every build.

use hyper::http::uri::Authority;
use hyper::{HeaderMap, Method, Uri};

/// A request as a handler gets it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `http://localhost/<path within the space>?<query>`.
    pub url: url::Url,
    pub method: Method,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Refuses what the front will not pass on, with the message of its 400: an absolute-form
/// target with an invalid port (`http://x:99999/`: the `http` crate reads such a port as
/// absent, so its `port()` alone does not tell), or a target that is not a path.
pub(super) fn check_target(uri: &Uri) -> Result<String, &'static str> {
    if let Some(authority) = uri.authority() {
        if !valid_port(authority) {
            return Err("the request target's port is not valid");
        }
    }
    // Only the path and query count; an absolute-form target's authority is ignored.
    let Some(target) = uri.path_and_query().map(|p| p.as_str().to_owned()) else {
        return Err("the request target has no path");
    };
    if !target.starts_with('/') {
        return Err("the request target must start with /");
    }
    Ok(target)
}

/// Whether the authority's port, if it has one, is a number from 0 to 65535.
fn valid_port(authority: &Authority) -> bool {
    let text = authority.as_str();
    // The port follows the last `:` after the host (an IPv6 host is in brackets).
    let host_end = text.rfind(']').unwrap_or(0);
    match text[host_end..].rfind(':') {
        None => true,
        Some(at) => {
            let port = &text[host_end + at + 1..];
            port.is_empty() || port.parse::<u16>().is_ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str) -> Result<String, &'static str> {
        check_target(&uri.parse::<Uri>().unwrap())
    }

    /// Issue 22: `GET http://x:99999/_callspec/info` was answered 200.
    #[test]
    fn an_absolute_target_with_an_invalid_port_is_refused() {
        let refused = Err("the request target's port is not valid");
        assert_eq!(target("http://x:99999/_callspec/info"), refused);
        assert_eq!(target("http://x:65536/"), refused);
        assert_eq!(target("http://[::1]:70000/a"), refused);
        assert_eq!(target("http://x:99999/_callspec/info?a=1"), refused);
        assert_eq!(target("http://x:8080/a?b=1"), Ok("/a?b=1".to_owned()));
        assert_eq!(target("http://[::1]:443/a"), Ok("/a".to_owned()));
        assert_eq!(target("http://[::1]/a"), Ok("/a".to_owned()));
        assert_eq!(target("http://x/"), Ok("/".to_owned()));
        assert_eq!(
            target("/v1.0/communications/calls"),
            Ok("/v1.0/communications/calls".to_owned())
        );
    }
}
