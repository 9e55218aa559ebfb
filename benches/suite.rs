//! The performance benchmark: `cargo bench --bench suite`.
//!
//! Generates N peer-to-peer scenarios (create, response checks with markers, establishing and
//! established in order), runs them with the release `callspec` binary, each run in a fresh
//! network namespace where the machine allows it (`unshare -n`), runs the bare floor
//! (`benches/floor.rs`: the same exchanges with cucumber + wiremock + reqwest only) side by
//! side, and prints every goal of the performance issue with its figure:
//! throughput and the ratio to the floor at 1,000 scenarios, time per scenario up to 100,000,
//! peak RSS, one-scenario start-up with 60 s of simulated ringing, ten back-to-back runs in one
//! namespace, and the time to verdict at concurrency 16.
//!
//! `CALLSPEC_BENCH_SIZES=1000,10000` changes the sizes (default 1000,10000,100000).
//! Speed goals live here, never in timed tests.

mod floor;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CALLSPEC: &str = env!("CARGO_BIN_EXE_callspec");
/// Runs whose waits are pooled for the time-to-verdict figures.
const VERDICT_RUNS: usize = 3;

/// Paired runs of callspec and the floor for the throughput figure.
const THROUGHPUT_PAIRS: usize = 9;

/// Scenarios per generated feature file (a usual feature file holds a few dozen; the Gherkin
/// parser is slower than linear in a file's size).
const PER_FEATURE: usize = 20;

const SCENARIO: &str = r##"
  Scenario: p2p call {n}
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the response status is 201
    And the response has:
      | path                        | value                                |
      | id                          | "#uuid"                              |
      | state                       | establishing                         |
      | targets[0].identity.user.id | 112f7296-5fa4-42ca-bae8-6a692b15d4b8 |
    And the bot receives notifications in order:
      | changeType | resourceUrl                      | resourceData.state |
      | updated    | /communications/calls/${call.id} | establishing       |
      | updated    | /communications/calls/${call.id} | established        |
"##;

const RINGING: &str = r#"Feature: Start-up
  Scenario: Nobody answers for 60 seconds
    Given the callee does not answer
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order within 2 minutes:
      | changeType | resourceData.state | resourceData.resultInfo.subcode |
      | updated    | establishing       |                                 |
      | deleted    | terminated         | 10057                           |
"#;

/// Writes `count` scenarios as feature files under `dir`.
fn generate(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("a writable temp dir");
    let mut n = 0;
    let mut file = 0;
    while n < count {
        let mut text = format!("Feature: Generated {file}\n");
        for _ in 0..PER_FEATURE.min(count - n) {
            text.push_str(&SCENARIO.replace("{n}", &n.to_string()));
            n += 1;
        }
        std::fs::write(dir.join(format!("f{file:05}.feature")), text).expect("writable");
        file += 1;
    }
}

/// What one measured process did.
struct Measured {
    wall: Duration,
    /// Peak resident set size, MB.
    rss_mb: f64,
    ok: bool,
    stdout: String,
}

fn can_unshare() -> bool {
    Command::new("unshare")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program args` (in a fresh network namespace when `isolate`), measuring wall time and
/// the peak RSS of the process (`wait4`'s rusage).
fn measure(program: &str, args: &[&str], isolate: bool) -> Measured {
    let mut command = if isolate {
        let mut c = Command::new("unshare");
        c.args([
            "-n",
            "sh",
            "-c",
            r#"ip link set lo up && exec "$0" "$@""#,
            program,
        ]);
        c
    } else {
        Command::new(program)
    };
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    let started = Instant::now();
    // Reaped by wait4 below, which also gives its resource usage.
    #[allow(clippy::zombie_processes)]
    let mut child = command.spawn().expect("the benchmark's command starts");
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        use std::io::Read as _;
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        // Only the last lines matter (the summary); the rest is step output.
        let text = String::from_utf8_lossy(&text).into_owned();
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let stdout = reader.join().unwrap_or_default();
    Measured {
        wall,
        rss_mb: usage.ru_maxrss as f64 / 1024.0,
        ok: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        stdout,
    }
}

fn callspec_run(dir: &Path, concurrency: usize, isolate: bool, extra: &[&str]) -> Measured {
    let concurrency = concurrency.to_string();
    let mut args = vec!["run", dir.to_str().unwrap(), "--concurrency", &concurrency];
    args.extend_from_slice(extra);
    measure(CALLSPEC, &args, isolate)
}

fn floor_run(dir: &Path, concurrency: usize, isolate: bool) -> Measured {
    let me = std::env::current_exe().expect("the benchmark's own path");
    let concurrency = concurrency.to_string();
    measure(
        me.to_str().unwrap(),
        &["floor", dir.to_str().unwrap(), &concurrency],
        isolate,
    )
}

fn summary_line(m: &Measured) -> &str {
    m.stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or("no summary")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cores} cores, {cpu}, load average {load}")
}

/// `timewait` mode (inside one namespace): ten back-to-back runs of the suite under `dir`.
fn time_wait(dir: &str) {
    let _ = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status();
    let mut walls = Vec::new();
    for _ in 0..10 {
        let m = callspec_run(Path::new(dir), 64, false, &[]);
        assert!(m.ok, "a back-to-back run failed: {}", summary_line(&m));
        walls.push(m.wall.as_secs_f64());
    }
    let waiting = std::fs::read_to_string("/proc/net/tcp")
        .map(|t| {
            t.lines()
                .filter(|l| l.split_whitespace().nth(3) == Some("06"))
                .count()
        })
        .unwrap_or_default();
    let shown: Vec<String> = walls.iter().map(|w| format!("{w:.3}")).collect();
    // The last three against the first three, medians: a build-up shows as a trend, one stall
    // of a shared machine does not.
    println!(
        "{} s; last/first {:.2} (medians of three); {waiting} sockets in TIME_WAIT after the ten \
         runs",
        shown.join(" "),
        median(walls[7..].to_vec()) / median(walls[..3].to_vec())
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("floor") => {
            let concurrency = args.get(3).and_then(|c| c.parse().ok()).unwrap_or(64);
            return floor::run(&args[2], concurrency);
        }
        Some("timewait") => return time_wait(&args[2]),
        _ => {}
    }
    let sizes: Vec<usize> = std::env::var("CALLSPEC_BENCH_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1000, 10_000, 100_000]);
    let isolate = can_unshare();
    let root = std::env::temp_dir().join(format!("callspec-bench-{}", std::process::id()));
    println!("machine: {}", machine());
    println!(
        "each run {}",
        if isolate {
            "in a fresh network namespace (unshare -n)"
        } else {
            "in this network namespace (unshare -n is not allowed here)"
        }
    );

    // 1. Throughput at the first size, side by side with the floor (nine pairs, medians: a
    // run takes a fifth of a second, so one stall of a shared machine moves a single run; the
    // best runs show what the machine does undisturbed).
    let base = sizes[0];
    let base_dir = root.join(format!("n{base}"));
    generate(&base_dir, base);
    let (mut ours, mut floors, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..THROUGHPUT_PAIRS {
        let m = callspec_run(&base_dir, 64, isolate, &[]);
        assert!(m.ok, "callspec failed: {}", summary_line(&m));
        ours.push(m.wall.as_secs_f64());
        rss.push(m.rss_mb);
        let f = floor_run(&base_dir, 64, isolate);
        assert!(f.ok, "the floor failed: {}", summary_line(&f));
        floors.push(f.wall.as_secs_f64());
        if floors.len() == 1 {
            println!(
                "floor:    {}, peak RSS {:.1} MB",
                summary_line(&f),
                f.rss_mb
            );
        }
    }
    let best = |walls: &[f64]| walls.iter().copied().fold(f64::INFINITY, f64::min);
    let (ours_best, floor_best) = (best(&ours), best(&floors));
    let (ours_s, floor_s) = (median(ours), median(floors));
    let base_per = ours_s / base as f64;
    println!(
        "throughput @{base} (medians of {THROUGHPUT_PAIRS} pairs): callspec {:.3} s = {:.0} \
         scenarios/s ({:.3} ms/scenario), peak RSS {:.1} MB | floor {:.3} s = {:.0} scenarios/s \
         | ratio {:.2}x | best runs: callspec {:.0}/s, floor {:.0}/s  \
         [goals: >= 5000/s, ratio <= 1.5, RSS <= 64 MB]",
        ours_s,
        base as f64 / ours_s,
        base_per * 1000.0,
        median(rss),
        floor_s,
        base as f64 / floor_s,
        ours_s / floor_s,
        base as f64 / ours_best,
        base as f64 / floor_best,
    );

    // 2. Linear to the largest size, with flat memory.
    for &n in &sizes[1..] {
        let dir = root.join(format!("n{n}"));
        generate(&dir, n);
        let m = callspec_run(&dir, 64, isolate, &[]);
        let per = m.wall.as_secs_f64() / n as f64;
        println!(
            "scale @{n}: {} in {:.2} s = {:.0} scenarios/s ({:.3} ms/scenario, {:.2}x the time \
             per scenario @{base}), peak RSS {:.1} MB  [goals @100000: < 30 s, <= 1.2x, RSS <= \
             128 MB]",
            summary_line(&m),
            m.wall.as_secs_f64(),
            n as f64 / m.wall.as_secs_f64(),
            per * 1000.0,
            per / base_per,
            m.rss_mb,
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    // 3. Start-up: one scenario, 60 s of simulated ringing, the whole process (median of 5).
    let ringing = root.join("ringing");
    std::fs::create_dir_all(&ringing).unwrap();
    std::fs::write(ringing.join("ringing.feature"), RINGING).unwrap();
    let mut walls = Vec::new();
    let mut rings = Vec::new();
    for _ in 0..5 {
        let m = callspec_run(&ringing, 64, false, &[]);
        assert!(m.ok, "the ringing scenario failed: {}", summary_line(&m));
        walls.push(m.wall.as_secs_f64() * 1000.0);
        let i = measure("true", &[], false);
        rings.push(i.wall.as_secs_f64() * 1000.0);
    }
    println!(
        "start-up: one scenario with 60 s of simulated ringing: {:.1} ms as a whole process \
         (median of 5; spawning /bin/true takes {:.1} ms)  [goal: <= 30 ms]",
        median(walls),
        median(rings),
    );

    // 4. Ten back-to-back runs in one namespace.
    if isolate {
        let me = std::env::current_exe().unwrap();
        let m = measure(
            "unshare",
            &[
                "-n",
                me.to_str().unwrap(),
                "timewait",
                base_dir.to_str().unwrap(),
            ],
            false,
        );
        println!(
            "back-to-back: ten runs of {base} in one namespace: {}  [goal: the same time within \
             noise]",
            m.stdout.trim()
        );
    }

    // 5. Time to verdict at concurrency 16, over the waits of three runs pooled (one stall of a
    // shared machine delays every wait under way in a single run).
    let figures = root.join("timings.json");
    let mut waits: Vec<u64> = Vec::new();
    for _ in 0..VERDICT_RUNS {
        let m = callspec_run(
            &base_dir,
            16,
            isolate,
            &["--timings", figures.to_str().unwrap()],
        );
        assert!(m.ok, "callspec failed: {}", summary_line(&m));
        let timings: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&figures).unwrap_or_default())
                .unwrap_or_default();
        let all = timings["timeToVerdictMicros"]["all"].as_array().cloned();
        waits.extend(all.unwrap_or_default().iter().filter_map(|w| w.as_u64()));
    }
    waits.sort_unstable();
    let at = |q: f64| {
        let i = ((waits.len() as f64 * q).ceil() as usize).saturating_sub(1);
        waits.get(i).copied().unwrap_or_default()
    };
    println!(
        "time to verdict @c=16: p50 {} us, p99 {} us, max {} us over {} waits in {VERDICT_RUNS} \
         runs  [goal: p99 <= 1000 us]",
        at(0.5),
        at(0.99),
        waits.last().copied().unwrap_or_default(),
        waits.len()
    );
    std::fs::remove_dir_all(&root).ok();
}
