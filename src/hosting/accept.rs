//! The accept loop: connections capped below the file descriptor limit, accept errors backed
//! off (never the end of the loop), TLS handshakes off the loop.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Notify, Semaphore};
use tokio_rustls::TlsAcceptor;

use super::connection::serve_connection;
use super::tls::handshake;
use super::{connection_cap, Limits, Routes};

/// Accept errors that concern one connection only (the client gave up): take the next.
pub(super) fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    )
}

pub(super) async fn accept_loop(
    listener: TcpListener,
    routes: Arc<Routes>,
    limits: Limits,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<()>,
) {
    let permits = Arc::new(Semaphore::new(connection_cap(&limits)));
    // Signalled whenever a connection closes: its descriptor is free again.
    let closed = Arc::new(Notify::new());
    let mut backoff = Duration::from_millis(5);
    let mut reported = false;
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
            _ = stop.changed() => return,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                backoff = Duration::from_millis(5);
                reported = false;
                stream
            }
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of descriptors (or kernel memory): the backlog keeps the clients; go on
                // as soon as one of our connections closes, or after a growing pause when the
                // descriptors are held elsewhere in the process.
                if !reported {
                    eprintln!(
                        "callspec: cannot accept connections on {} ({e}); retrying",
                        listener
                            .local_addr()
                            .map(|a| a.to_string())
                            .unwrap_or_default()
                    );
                    reported = true;
                }
                drop(permit);
                tokio::select! {
                    _ = closed.notified() => {}
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let routes = routes.clone();
        let stop = stop.clone();
        let closed = closed.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, routes, limits, stop).await,
                Some(tls) => {
                    if let Some(stream) = handshake(stream, &tls, &limits, stop.clone()).await {
                        serve_connection(stream, routes, limits, stop).await;
                    }
                }
            }
            drop(permit);
            closed.notify_waiters();
        });
    }
}
