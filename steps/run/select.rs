//! Which scenarios a run takes: `--name`, `--tags`, the kind of run (mock, live, bot) and
//! `--shard K/N`.

use std::collections::HashSet;
use std::path::PathBuf;

use callspec::display_path;
use cucumber::gherkin::{tagexpr::TagOperation, Feature, Rule, Scenario};
use cucumber::tag::Ext as _;

use super::cli::{RunArgs, Target};
use super::record::example_row;

/// `--shard K/N`: the K-th (from 1) of N shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let usage = "expected K/N with 1 <= K <= N, e.g. 2/4";
    let (k, n) = text.split_once('/').ok_or_else(|| usage.to_owned())?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("K is not a number: {usage}"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("N is not a number: {usage}"))?;
    if n == 0 {
        return Err(format!("N must be at least 1: {usage}"));
    }
    if k == 0 || k > n {
        return Err(format!("K must be between 1 and {n}: {usage}"));
    }
    Ok(Shard { index: k, count: n })
}

/// Every scenario of a feature, with its rule.
pub fn scenarios_of(feature: &Feature) -> impl Iterator<Item = (Option<&Rule>, &Scenario)> {
    feature.scenarios.iter().map(|s| (None, s)).chain(
        feature
            .rules
            .iter()
            .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))),
    )
}

/// A scenario as the run knows it: its feature file (as cucumber names it) and line.
pub type ScenarioKey = (PathBuf, usize);

/// What `select` chose.
pub struct Selection {
    /// The scenarios of this run (this shard's).
    pub keys: HashSet<ScenarioKey>,
    /// How many scenarios the feature files hold, how many passed `--name` and `--tags`, and
    /// how many of those this mode runs (live mode skips `@mock-only` ones).
    pub total: usize,
    pub filtered: usize,
    pub matched: usize,
    /// Of `filtered`, how many belong to the other kind of run: `@bot` scenarios need `--bot`,
    /// and a run with `--bot` runs only those.
    pub other_kind: usize,
}

/// The scenarios to run: those matching `--name` and `--tags` (both, when both are given),
/// then, with `--shard K/N`, every N-th of them from the K-th on, in the order of their
/// identity (feature path relative to the working directory, scenario name, example row):
/// the same split on every machine, each scenario in exactly one shard.
pub fn select(features: impl IntoIterator<Item = Feature>, args: &RunArgs) -> Selection {
    let mut chosen = Vec::new();
    let mut total = 0;
    let mut filtered = 0;
    let mut other_kind = 0;
    for feature in features {
        let feature = &feature;
        let path = feature.path.clone().unwrap_or_default();
        let shown = display_path(&path);
        let scenarios = feature.scenarios.iter().map(|s| (None, s)).chain(
            feature
                .rules
                .iter()
                .flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))),
        );
        for (rule, scenario) in scenarios {
            total += 1;
            if args
                .name
                .as_ref()
                .is_some_and(|re| !re.is_match(&scenario.name))
            {
                continue;
            }
            let all_tags = || {
                feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| &r.tags))
                    .chain(&scenario.tags)
            };
            if let Some(tags) = &args.tags {
                if !tags.eval(all_tags()) {
                    continue;
                }
            }
            filtered += 1;
            // Scenarios that script the stand-in cannot run against real Graph.
            if args.target == Target::Live && all_tags().any(|t| t == "mock-only") {
                continue;
            }
            // A spec for a bot under test checks the bot; the others play the bot themselves.
            if all_tags().any(|t| t == "bot") != args.bot.is_some() {
                other_kind += 1;
                continue;
            }
            // The identity only matters to shards (kept small otherwise: a run may hold
            // 100,000 keys).
            let identity = match args.shard {
                Some(_) => (
                    shown.clone(),
                    scenario.name.clone(),
                    example_row(scenario),
                    scenario.position.line,
                ),
                None => Default::default(),
            };
            chosen.push((identity, (path.clone(), scenario.position.line)));
        }
    }
    let matched = chosen.len();
    if let Some(shard) = args.shard {
        chosen.sort();
        let total = chosen.len();
        chosen = chosen
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % shard.count == shard.index - 1)
            .map(|(_, c)| c)
            .collect();
        eprintln!(
            "callspec: shard {}/{}: {} of {total} scenario(s)",
            shard.index,
            shard.count,
            chosen.len()
        );
    }
    Selection {
        keys: chosen.into_iter().map(|(_, key)| key).collect(),
        total,
        filtered,
        matched,
        other_kind,
    }
}

/// Says what the selection leaves out (notes on stderr), and refuses a run of nothing: a
/// filter with a typo, or a kind of run none of the scenarios is for, must not be green.
/// `feature_errors`: the feature files had problems (then the run goes on to report them).
pub fn check(selection: &Selection, args: &RunArgs, feature_errors: bool) -> Result<(), String> {
    match (args.bot.is_some(), selection.other_kind) {
        (_, 0) => {}
        (false, n) => eprintln!(
            "callspec: note: {n} scenario(s) tagged @bot test a bot of your own: they run with \
             --bot FILE (the book's \"Testing your own bot\": docs/src/bot.md)"
        ),
        (true, n) => eprintln!(
            "callspec: note: {n} scenario(s) without the @bot tag play the bot themselves: \
             they do not run with --bot"
        ),
    }
    if selection.filtered > selection.other_kind && selection.matched == 0 {
        eprintln!("callspec: note: every selected scenario is @mock-only: live mode skips them");
    }
    if selection.matched == 0 && selection.other_kind > 0 && !feature_errors {
        return Err("nothing to run in this kind of run (see the note above)".to_owned());
    }
    let filters = args.name.is_some() || args.tags.is_some();
    // With errors in the feature files and no filter, the run goes on (to nothing) so the
    // reports hold the errors; it exits 2 all the same.
    if selection.filtered == 0 && (!feature_errors || filters) {
        // A filter with a typo must not make a green run of nothing.
        let why = match (&args.name, &args.tags) {
            (None, None) => "the feature files hold no scenario".to_owned(),
            (name, tags) => {
                let mut filters = Vec::new();
                if let Some(name) = name {
                    filters.push(format!("--name {:?}", name.as_str()));
                }
                if let Some(tags) = tags {
                    filters.push(format!("--tags {:?}", tag_text(tags)));
                }
                format!(
                    "{} matches none of the {} scenario(s)",
                    filters.join(" with "),
                    selection.total
                )
            }
        };
        return Err(format!("nothing to run: {why}"));
    }
    Ok(())
}

/// A tag expression as the user wrote it, near enough (`@a and not @b`).
fn tag_text(tags: &TagOperation) -> String {
    match tags {
        TagOperation::And(a, b) => format!("{} and {}", tag_text(a), tag_text(b)),
        TagOperation::Or(a, b) => format!("({} or {})", tag_text(a), tag_text(b)),
        TagOperation::Not(a) => format!("not {}", tag_text(a)),
        TagOperation::Tag(t) => format!("@{t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_k_of_n() {
        assert_eq!(parse_shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(parse_shard("1/1"), Ok(Shard { index: 1, count: 1 }));
        for bad in ["0/3", "4/3", "1/0", "2", "a/3", "1/b", "-1/3", ""] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
