//! The bot's other services (`[services.NAME]` in `bot.toml`): a CRM, a scheduling service,
//! anything the bot calls besides Graph. Each is a wiremock [`MockServer`] for the whole run,
//! whose base URL the bot gets in the variable the config names.
//!
//! The bot is one process started once, so each variable, and so each server, is fixed for the
//! run, while scenarios run concurrently. A scenario's stubs and the requests it checks must not
//! be another scenario's: a scenario that stubs or checks a service first takes the run's
//! services for itself ([`Services::take`]), and keeps them until it ends. Taking them clears
//! every server's log; giving them back unmounts the scenario's stubs. Scenarios that use services
//! thus run one after another (their waits for the turn are bounded by the caller); the others
//! run alongside as usual, and a request the bot makes for one of them reaches the servers too
//! (it gets 404 unless it matches a stub of the scenario holding the turn).
//!
//! Every request goes through one of our responders (a stub, or the catch-all for what no stub
//! matches), which logs it and wakes the waiters: a check waits for the request, never polls.
//! All mocks have wiremock's default priority: wiremock sorts its mocks by priority in place on
//! each request, which moves them away from the ids its scoped guards keep, so a guard would
//! unmount another mock. The catch-all instead matches only what no stub in force matches.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, OwnedMutexGuard};
use tokio::time::Instant;
use wiremock::{Match, Mock, MockGuard, MockServer, Request, Respond, ResponseTemplate};

use super::ServiceConfig;

/// The longest body a logged request keeps.
const MAX_LOGGED_BODY: usize = 4 * 1024;

/// What went wrong with the services.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Another scenario held the services until the deadline.
    #[error(
        "another scenario kept the bot's other services ({names}) until this scenario's time \
         limit: scenarios that use them run one at a time"
    )]
    Busy { names: String },
}

/// A stubbed request: a method and a path (and, when given, the query string), compared with
/// percent-decoding undone (a bot may send `+` as `%2B`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
}

impl Route {
    /// `"/customers/+14255550123"` or `"/slots?day=monday"` for `method`.
    pub fn new(method: &str, target: &str) -> Route {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (target, None),
        };
        Route {
            method: method.to_ascii_uppercase(),
            path: decoded(path),
            query,
        }
    }

    fn matches(&self, method: &str, path: &str, query: Option<&str>) -> bool {
        self.method.eq_ignore_ascii_case(method)
            && self.path == decoded(path)
            && self
                .query
                .as_deref()
                .is_none_or(|q| query.is_some_and(|got| decoded(got) == decoded(q)))
    }

    /// Whether `request` (as logged) is this route.
    pub fn matches_request(&self, request: &ServiceRequest) -> bool {
        self.matches(&request.method, &request.path, request.query.as_deref())
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a stub answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    /// A JSON body (sent as `application/json`), or none.
    pub body: Option<serde_json::Value>,
    /// How long the answer takes (wall time): a service slower than the bot's timeout.
    pub delay: Duration,
}

/// A request a service received, as the failure messages list it.
#[derive(Debug, Clone)]
pub struct ServiceRequest {
    pub method: String,
    /// The path as sent (not decoded).
    pub path: String,
    pub query: Option<String>,
    /// The body as text, capped.
    pub body: String,
    /// After the turn was taken.
    pub at: Duration,
    /// The status it was answered with.
    pub status: u16,
    /// The stub that answered it (an index into the turn's stubs), or `None`: no stub matched.
    pub stub: Option<usize>,
}

impl ServiceRequest {
    fn new(request: &Request, since: Instant, status: u16, stub: Option<usize>) -> Self {
        let mut body = String::from_utf8_lossy(&request.body).into_owned();
        if body.len() > MAX_LOGGED_BODY {
            let mut end = MAX_LOGGED_BODY;
            while !body.is_char_boundary(end) {
                end -= 1;
            }
            body.truncate(end);
            body.push_str(" …");
        }
        ServiceRequest {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            body,
            at: since.elapsed(),
            status,
            stub,
        }
    }
}

impl std::fmt::Display for ServiceRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "+{:.2} s {} {}",
            self.at.as_secs_f64(),
            self.method,
            self.path
        )?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        write!(f, " → {}", self.status)?;
        if self.stub.is_none() {
            f.write_str(" (no stub matched)")?;
        }
        Ok(())
    }
}

/// One service's log: the requests since the turn was taken, and a counter waiters watch.
struct Log {
    since: Mutex<Instant>,
    entries: Mutex<Vec<ServiceRequest>>,
    count: watch::Sender<usize>,
}

impl Log {
    fn push(&self, request: &Request, status: u16, stub: Option<usize>) {
        let since = *lock(&self.since);
        let mut entries = lock(&self.entries);
        entries.push(ServiceRequest::new(request, since, status, stub));
        let n = entries.len();
        drop(entries);
        self.count.send_replace(n);
    }

    fn clear(&self) {
        *lock(&self.since) = Instant::now();
        lock(&self.entries).clear();
        self.count.send_replace(0);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Service {
    config: ServiceConfig,
    server: MockServer,
    log: Arc<Log>,
    /// The routes of the stubs in force (the catch-all leaves them alone).
    stubbed: Arc<Mutex<Vec<Route>>>,
}

/// The catch-all's matcher: a request no stub in force matches.
struct NotStubbed(Arc<Mutex<Vec<Route>>>);

impl Match for NotStubbed {
    fn matches(&self, request: &Request) -> bool {
        !lock(&self.0).iter().any(|route| {
            route.matches(
                request.method.as_str(),
                request.url.path(),
                request.url.query(),
            )
        })
    }
}

/// Matches a [`Route`].
struct RouteMatch(Route);

impl Match for RouteMatch {
    fn matches(&self, request: &Request) -> bool {
        self.0.matches(
            request.method.as_str(),
            request.url.path(),
            request.url.query(),
        )
    }
}

/// Answers a stub's reply and logs the request.
struct Stubbed {
    reply: Reply,
    index: usize,
    log: Arc<Log>,
}

impl Respond for Stubbed {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.log.push(request, self.reply.status, Some(self.index));
        let mut template = ResponseTemplate::new(self.reply.status).set_delay(self.reply.delay);
        if let Some(body) = &self.reply.body {
            template = template.set_body_json(body.clone());
        }
        template
    }
}

/// For what no stub matches: logs the request and answers 404, saying nothing was stubbed.
struct Unmatched {
    name: String,
    log: Arc<Log>,
}

impl Respond for Unmatched {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.log.push(request, 404, None);
        ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": format!(
                "callspec's stand-in for the service `{}`: no stub for {} {}",
                self.name,
                request.method,
                request.url.path()
            )
        }))
    }
}

async fn mount_catch_all(service: &Service) {
    service
        .server
        .register(
            Mock::given(NotStubbed(service.stubbed.clone())).respond_with(Unmatched {
                name: service.config.name.clone(),
                log: service.log.clone(),
            }),
        )
        .await;
}

/// The run's services, one mock server each.
pub struct Services {
    services: Arc<Vec<Service>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.services
                    .iter()
                    .map(|s| (&s.config.name, s.server.uri())),
            )
            .finish()
    }
}

impl Services {
    /// Starts a server for each service (on wiremock's own thread).
    pub async fn start(configs: &[ServiceConfig]) -> Services {
        let mut services = Vec::with_capacity(configs.len());
        for config in configs {
            let service = Service {
                config: config.clone(),
                // Our responders log every request: wiremock's own recording would only grow.
                server: MockServer::builder()
                    .disable_request_recording()
                    .start()
                    .await,
                log: Arc::new(Log {
                    since: Mutex::new(Instant::now()),
                    entries: Mutex::default(),
                    count: watch::Sender::new(0),
                }),
                stubbed: Arc::default(),
            };
            mount_catch_all(&service).await;
            services.push(service);
        }
        Services {
            services: Arc::new(services),
            turn: Arc::default(),
        }
    }

    /// `(variable, base URL)` for each service, for the bot's environment.
    pub fn env(&self) -> Vec<(String, String)> {
        self.services
            .iter()
            .map(|s| (s.config.env.clone(), s.server.uri()))
            .collect()
    }

    /// The services' names (lower case), sorted.
    pub fn names(&self) -> Vec<String> {
        self.services
            .iter()
            .map(|s| s.config.name.clone())
            .collect()
    }

    /// The service `name` (any case): its index, or `None`.
    pub fn find(&self, name: &str) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        self.services.iter().position(|s| s.config.name == lower)
    }

    /// Takes the services for one scenario, waiting (woken when the holder gives them back)
    /// until `deadline`; every server starts empty.
    pub async fn take(&self, deadline: Instant) -> Result<ServiceTurn, ServiceError> {
        let guard = tokio::time::timeout_at(deadline, self.turn.clone().lock_owned())
            .await
            .map_err(|_| ServiceError::Busy {
                names: self.names().join(", "),
            })?;
        for service in self.services.iter() {
            service.log.clear();
        }
        Ok(ServiceTurn {
            services: self.services.clone(),
            routes: Vec::new(),
            mounted: Vec::new(),
            _guard: guard,
        })
    }
}

/// One scenario's hold on the services: its stubs and the requests since it took them. Given
/// back (its stubs unmounted) when dropped.
pub struct ServiceTurn {
    services: Arc<Vec<Service>>,
    /// Every route the scenario stubbed, by stub number (what [`ServiceRequest::stub`] names).
    routes: Vec<Route>,
    /// The stubs in force: the service's index, the stub number, and wiremock's guard (which
    /// unmounts it when dropped).
    mounted: Vec<(usize, usize, MockGuard)>,
    // Declared last: dropped after the guards, so the next holder finds no stub of ours.
    _guard: OwnedMutexGuard<()>,
}

impl Drop for ServiceTurn {
    fn drop(&mut self) {
        // The stubs' guards unmount them (the fields drop after this); the catch-all takes
        // every route again.
        for service in self.services.iter() {
            lock(&service.stubbed).clear();
        }
    }
}

impl std::fmt::Debug for ServiceTurn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceTurn")
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl ServiceTurn {
    /// Answers `route` on service `index` with `reply` from now on, in place of an earlier
    /// stub of the same route.
    pub async fn stub(&mut self, index: usize, route: Route, reply: Reply) {
        let routes = &self.routes;
        self.mounted
            .retain(|(service, stub, _)| !(*service == index && routes[*stub] == route));
        let service = &self.services[index];
        {
            let mut stubbed = lock(&service.stubbed);
            stubbed.retain(|r| *r != route);
            stubbed.push(route.clone());
        }
        let stub = self.routes.len();
        self.routes.push(route.clone());
        let guard = service
            .server
            .register_as_scoped(Mock::given(RouteMatch(route)).respond_with(Stubbed {
                reply,
                index: stub,
                log: service.log.clone(),
            }))
            .await;
        self.mounted.push((index, stub, guard));
    }

    /// The route of stub number `stub`.
    pub fn stub_route(&self, stub: usize) -> Option<&Route> {
        self.routes.get(stub)
    }

    /// Whether service `index` has a stub of `route` in force.
    pub fn is_stubbed(&self, index: usize, route: &Route) -> bool {
        self.mounted
            .iter()
            .any(|(service, stub, _)| *service == index && self.routes[*stub] == *route)
    }

    /// What service `index` received since the turn was taken, in arrival order.
    pub fn requests(&self, index: usize) -> Vec<ServiceRequest> {
        lock(&self.services[index].log.entries).clone()
    }

    /// Waits (woken by each request, never polling) until service `index` received more than
    /// `seen` requests, or until `deadline`; says whether it did.
    pub async fn wait_more(&self, index: usize, seen: usize, deadline: Instant) -> bool {
        let mut count = self.services[index].log.count.subscribe();
        tokio::time::timeout_at(deadline, count.wait_for(|n| *n > seen))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_compare_decoded_paths_and_a_given_query() {
        let route = Route::new("get", "/customers/+14255550123");
        assert_eq!(route.to_string(), "GET /customers/+14255550123");
        assert!(route.matches("GET", "/customers/%2B14255550123", None));
        assert!(route.matches("GET", "/customers/+14255550123", Some("x=1")));
        assert!(!route.matches("POST", "/customers/+14255550123", None));
        assert!(!route.matches("GET", "/customers/+14255550124", None));
        let route = Route::new("GET", "/slots?day=monday");
        assert!(route.matches("GET", "/slots", Some("day=monday")));
        assert!(!route.matches("GET", "/slots", Some("day=tuesday")));
        assert!(!route.matches("GET", "/slots", None));
        assert_eq!(decoded("100%"), "100%");
        assert_eq!(decoded("%4"), "%4");
    }

    async fn get(url: &str) -> (u16, String) {
        let response = reqwest::get(url).await.expect("the service answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Stubs answer, a later stub of a route replaces the earlier, everything else gets the
    /// catch-all's 404, every request is logged; a turn given back leaves no stub behind and
    /// the next one starts with an empty log (wiremock's scoped guards and its in-place sort by
    /// priority once unmounted the catch-all instead of the stub).
    #[tokio::test]
    async fn turns_stub_log_and_leave_nothing_behind() {
        let services = Services::start(&[ServiceConfig {
            name: "crm".into(),
            env: "CRM_URL".into(),
        }])
        .await;
        let (var, base) = services.env().remove(0);
        assert_eq!(var, "CRM_URL");
        assert_eq!(services.find("CRM"), Some(0));
        let far = Instant::now() + Duration::from_secs(10);
        let mut turn = services.take(far).await.unwrap();
        let ada = |name: &str| Reply {
            status: 200,
            body: Some(serde_json::json!({ "name": name })),
            delay: Duration::ZERO,
        };
        let route = Route::new("GET", "/customers/+1");
        turn.stub(0, route.clone(), ada("Ada")).await;
        assert_eq!(
            get(&format!("{base}/customers/%2B1")).await,
            (200, r#"{"name":"Ada"}"#.into())
        );
        turn.stub(0, route.clone(), ada("Grace")).await;
        assert_eq!(
            get(&format!("{base}/customers/+1")).await.1,
            r#"{"name":"Grace"}"#
        );
        let (status, body) = get(&format!("{base}/customers/+2")).await;
        assert_eq!(status, 404);
        assert!(body.contains("no stub for GET /customers/+2"), "{body}");
        let log = turn.requests(0);
        assert_eq!(log.len(), 3);
        assert_eq!(
            log.iter().map(|r| r.stub).collect::<Vec<_>>(),
            [Some(0), Some(1), None]
        );
        assert!(turn.is_stubbed(0, &route));
        assert!(turn.wait_more(0, 2, far).await);
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(!turn.wait_more(0, 3, soon).await);

        // Another scenario waits for the turn, bounded.
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(services.take(soon).await.is_err());
        drop(turn);
        let turn = services.take(far).await.unwrap();
        assert!(turn.requests(0).is_empty());
        // Several requests, so that wiremock sorts its mocks more than once.
        for _ in 0..3 {
            assert_eq!(get(&format!("{base}/customers/+1")).await.0, 404);
        }
        assert_eq!(turn.requests(0).len(), 3);
    }
}
