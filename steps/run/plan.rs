//! The run's plan: the feature files it reads and the scenarios it runs, and how their parsed
//! features are handed to cucumber as memory allows.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cucumber::gherkin::Feature;
use cucumber::{cli, parser};
use futures::stream;

use super::select::{scenarios_of, ScenarioKey};
use super::{catalog, features};

/// The feature files a run reads, and the scenarios it runs (chosen by a first read).
pub struct Plan {
    pub files: Vec<PathBuf>,
    pub keys: HashSet<ScenarioKey>,
    /// What the first read parsed, by file, while it fit [`KEEP_PARSED_SCENARIOS`]: handed
    /// to cucumber as is (parsing is most of a file's cost); the other files are read again.
    pub kept: Mutex<Vec<Option<Vec<Feature>>>>,
    /// The next file past the budget, being parsed on a thread of its own meanwhile.
    pub ahead: Mutex<Option<(usize, std::thread::JoinHandle<Vec<Feature>>)>>,
    /// Lets files in as scenarios finish (the after hook releases it).
    pub gate: Gate,
}

impl Plan {
    /// File `i`'s features: kept by the first read, read ahead, or else read now.
    ///
    /// Never awaits: cucumber's runner polls for scenarios without yielding while none is
    /// running, so a parse awaited on the blocking pool would never be picked up on the run's
    /// single thread. The read-ahead thread is joined instead.
    fn features(&self, i: usize) -> Vec<Feature> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner())[i].take();
        let features = match kept {
            Some(features) => features,
            None => match self.ahead.lock().unwrap_or_else(|e| e.into_inner()).take() {
                Some((j, thread)) if j == i => thread
                    .join()
                    .unwrap_or_else(|_| features::read_one(&self.files[i]).features),
                _ => features::read_one(&self.files[i]).features,
            },
        };
        self.read_ahead(i + 1);
        features
    }

    /// Starts parsing file `i` on another thread when the first read did not keep it.
    fn read_ahead(&self, i: usize) {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.get(i).is_none_or(Option::is_some) {
            return;
        }
        drop(kept);
        let file = self.files[i].clone();
        let thread = std::thread::Builder::new()
            .name("callspec-read".into())
            .spawn(move || features::read_one(&file).features);
        // Without a thread, the file is read when its turn comes.
        if let Ok(thread) = thread {
            *self.ahead.lock().unwrap_or_else(|e| e.into_inner()) = Some((i, thread));
        }
    }
}

/// How many scenarios' parsed features the first read keeps for the run (a parsed scenario
/// costs ~3 KB: ~15 MB at most). Smaller suites are parsed once; in larger ones the files
/// past it are parsed again as the run makes room for them, each on a thread of its own while
/// the run works on the file before.
pub const KEEP_PARSED_SCENARIOS: usize = 5_000;

/// How many selected scenarios may have their features in memory at once.
pub struct Gate {
    in_flight: std::sync::atomic::AtomicUsize,
    room: tokio::sync::Notify,
    cap: usize,
}

impl Gate {
    /// A gate letting in files while fewer than `cap` scenarios are in flight.
    pub fn new(cap: usize) -> Self {
        Gate {
            in_flight: Default::default(),
            room: tokio::sync::Notify::new(),
            cap,
        }
    }

    pub async fn wait_for_room(&self) {
        use std::sync::atomic::Ordering;
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if self.in_flight.load(Ordering::SeqCst) < self.cap {
                return;
            }
            room.await;
        }
    }

    pub fn take(&self, scenarios: usize) {
        self.in_flight
            .fetch_add(scenarios, std::sync::atomic::Ordering::SeqCst);
    }

    /// One scenario is done.
    pub fn release(&self) {
        self.in_flight
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        self.room.notify_waiters();
    }
}

/// Hands cucumber the planned features, one file at a time as the gate lets them in (a parsed
/// scenario costs kilobytes: a run of 100,000 cannot hold them all). Their problems were
/// reported by the first read.
pub struct ReadFeatures;

impl parser::Parser<Arc<Plan>> for ReadFeatures {
    type Cli = cli::Empty;
    type Output = futures::stream::BoxStream<'static, parser::Result<Feature>>;

    fn parse(self, plan: Arc<Plan>, _: cli::Empty) -> Self::Output {
        use futures::StreamExt as _;
        let files = (0..plan.files.len()).collect::<Vec<_>>().into_iter();
        let parsed = stream::iter(files).then(move |i| {
            let plan = plan.clone();
            async move {
                let gate = &plan.gate;
                gate.wait_for_room().await;
                let features = plan.features(i);
                for feature in &features {
                    let path = feature.path.clone().unwrap_or_default();
                    gate.take(
                        scenarios_of(feature)
                            .filter(|(_, s)| plan.keys.contains(&(path.clone(), s.position.line)))
                            .count(),
                    );
                    // Before its scenarios run: steps nothing matches, with the catalog's
                    // closest steps.
                    for hint in catalog::unknown_steps(steps_that_run(feature, &plan)) {
                        eprintln!("callspec: {hint}");
                    }
                }
                stream::iter(features.into_iter().map(Ok))
            }
        });
        parsed.flatten().boxed()
    }
}

/// Every step the scenarios of `feature` that run take (background steps included).
pub fn steps_that_run<'f>(
    feature: &'f Feature,
    plan: &Plan,
) -> Vec<(&'f Path, &'f cucumber::gherkin::Step)> {
    let Some(path) = feature.path.as_deref() else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    for (rule, scenario) in scenarios_of(feature) {
        if !plan
            .keys
            .contains(&(path.to_path_buf(), scenario.position.line))
        {
            continue;
        }
        let rule_background = rule.and_then(|r| r.background.as_ref());
        let background = feature.background.iter().chain(rule_background);
        for step in background.flat_map(|b| &b.steps).chain(&scenario.steps) {
            steps.push((path, step));
        }
    }
    steps
}
