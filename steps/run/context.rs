//! What a whole run shares between its scenarios, built once by [`super::run`] and handed to
//! each World by the before hook (and to the after hook and the writers that need it).
//!
//! It replaces the process-wide statics the run's settings and mode used to live in: a World
//! reads its run from `world.run`, so two runs in one process cannot see each other's.
//! Statics remain only where there is no run at hand: the global allocator, the shared HTTP
//! client (`world::http`, used by step functions), the step catalog's copy of cucumber's
//! step collection (built from link-time registrations, the same for every run) and the
//! run's signing key (`callspec::auth::SigningKey::for_run`, in the engine).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callspec::{RequestTemplate, TemplateStore};

use super::html::Collector;
use crate::world::{BotRun, LiveRun, MockServers};

/// The kind of run: where every scenario's requests go.
#[derive(Debug)]
pub enum RunKind {
    /// The run's stand-in and inbox servers; each scenario opens its own on them.
    Mock(MockServers),
    /// Real Graph, the app's token and the one callback inbox (`--target live`).
    Live(Arc<LiveRun>),
    /// A bot under test (`--bot`): the servers, and the gateway the bot talks to.
    Bot {
        servers: MockServers,
        bot: Arc<BotRun>,
    },
}

type TemplateCache = Mutex<HashMap<(Vec<PathBuf>, String), Arc<RequestTemplate>>>;

#[derive(Debug)]
pub struct RunContext {
    pub kind: RunKind,
    /// Wall-time limit of one scenario (`--scenario-timeout`).
    pub scenario_time_limit: Duration,
    /// The template folders the run was given (`--scenarios`); empty: search up from each
    /// feature file.
    pub scenario_folders: Vec<PathBuf>,
    /// What the after hook keeps of each scenario for the HTML report and `-v`.
    pub collector: Option<Arc<Collector>>,
    /// Where each scenario's HAR recording goes (`--record DIR`).
    pub record_dir: Option<PathBuf>,
    /// Time-to-verdict figures in microseconds (`--timings FILE`).
    timings: Option<Mutex<Vec<u32>>>,
    /// Where each feature file's templates are looked up, found once per file.
    stores: Mutex<HashMap<PathBuf, TemplateStore>>,
    /// Request templates, parsed once per run (templates do not change during a run).
    templates: TemplateCache,
}

impl RunContext {
    pub fn new(kind: RunKind, scenario_time_limit: Duration) -> Self {
        RunContext {
            kind,
            scenario_time_limit,
            scenario_folders: Vec::new(),
            collector: None,
            record_dir: None,
            timings: None,
            stores: Mutex::default(),
            templates: Mutex::default(),
        }
    }

    /// Starts collecting time-to-verdict figures (for the benchmark).
    pub fn collect_timings(&mut self) {
        self.timings = Some(Mutex::default());
    }

    /// Where `feature`'s templates are looked up.
    pub fn store_for(&self, feature: &Path) -> TemplateStore {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        stores
            .entry(feature.to_path_buf())
            .or_insert_with(|| TemplateStore::for_feature_in(feature, &self.scenario_folders))
            .clone()
    }

    /// The request template `name` of `store`, parsed once per run.
    pub fn request_template(
        &self,
        store: &TemplateStore,
        name: &str,
    ) -> anyhow::Result<Arc<RequestTemplate>> {
        let key = (store.roots().to_vec(), name.to_owned());
        // Loaded under the lock: scenarios starting together wait for one load.
        let mut cache = self.templates.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(template) = cache.get(&key) {
            return Ok(template.clone());
        }
        let template = Arc::new(store.request(name)?);
        cache.insert(key, template.clone());
        Ok(template)
    }

    /// How long a step took to see what it waited for: from the arrival of the last
    /// notification a wait looked at to the wait's end.
    pub fn verdict(&self, elapsed: Duration) {
        if let Some(all) = &self.timings {
            let micros = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
            all.lock().unwrap_or_else(|e| e.into_inner()).push(micros);
        }
    }

    /// `{"timeToVerdictMicros": {"count", "p50", "p99", "max", "all"}}`, when collecting
    /// (`all`: every wait, sorted, for pooling several runs).
    pub fn timings_summary(&self) -> Option<serde_json::Value> {
        let mut all = self
            .timings
            .as_ref()?
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        all.sort_unstable();
        let at = |q: f64| {
            let i = ((all.len() as f64 * q).ceil() as usize).saturating_sub(1);
            all.get(i).copied().unwrap_or_default()
        };
        Some(serde_json::json!({"timeToVerdictMicros": {
            "count": all.len(), "p50": at(0.5), "p99": at(0.99),
            "max": all.last().copied().unwrap_or_default(), "all": all,
        }}))
    }
}
