//! Finding and reading feature files before a run.
//!
//! Only regular `.feature` files are read (a FIFO would block the run), each file once however
//! often it is named, and none above [`MAX_FEATURE_BYTES`] (a file the fast reader cannot read
//! goes to gherkin's parser, which slows down with the square of a file's size). Parse errors get `file:line:col` and a sentence a person can act
//! on. Input that gherkin accepts but that loses scenarios (a misspelt keyword, an outline
//! without examples) is an error; what loses nothing (a feature without scenarios, a file
//! named twice) is a warning.

use std::collections::HashSet;
use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use callspec::display_path;
use cucumber::feature::Ext as _;
use cucumber::gherkin::{Feature, Scenario, Table};

pub mod gherkin_fast;
mod keywords;

/// The largest feature file read (20 times the largest example feature). [`gherkin_fast`] is
/// linear, but a file it cannot read (one with an error, in another language) goes to gherkin,
/// whose parse time grows with the square of the size: measured on a debug build with both cores loaded, 128 KiB
/// took 0.8 s, 256 KiB 3 s, 512 KiB 12 s, 1 MiB 43 s (release builds: 10 MB 1.5 s, 40 MB 22 s).
pub const MAX_FEATURE_BYTES: u64 = 256 * 1024;

/// Gherkin's English block keywords (what a misspelling is compared with).
const BLOCK_KEYWORDS: [&str; 9] = [
    "Feature",
    "Background",
    "Scenario",
    "Scenario Outline",
    "Scenario Template",
    "Example",
    "Examples",
    "Scenarios",
    "Rule",
];

/// A problem in a feature file, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as messages show it (see [`display_path`]).
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// What finding or reading feature files found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The feature files found (each once, real paths).
    pub files: Vec<PathBuf>,
    pub features: Vec<Feature>,
    /// Input that cannot run as written: the other features still run, and the run exits 2.
    pub errors: Vec<Problem>,
    /// Worth a look, but no scenario is lost.
    pub warnings: Vec<String>,
}

/// Finds every feature file under `paths` (`files`), with the problems met on the way; reads
/// none. `Err` when a path does not exist (nothing runs).
pub fn discover(paths: &[PathBuf]) -> Result<Loaded, String> {
    let mut loaded = Loaded::default();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for path in paths {
        let shown = display_path(path);
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{shown} does not exist"),
            _ => format!("{shown} cannot be read: {e}"),
        })?;
        let found = if meta.is_dir() {
            let mut found = Vec::new();
            let mut visited = HashSet::new();
            walk(path, &mut found, &mut visited, &mut loaded.warnings);
            if found.is_empty() {
                loaded.errors.push(Problem {
                    file: shown.clone(),
                    line: 1,
                    col: 1,
                    message: "this folder holds no .feature file".to_owned(),
                });
            }
            found
        } else if meta.is_file() {
            vec![path.clone()]
        } else {
            loaded.errors.push(Problem {
                file: shown.clone(),
                line: 1,
                col: 1,
                message: "not a regular file (a FIFO, socket or device): not read".to_owned(),
            });
            Vec::new()
        };
        for file in found {
            let real = file.canonicalize().unwrap_or_else(|_| file.clone());
            if seen.insert(real.clone()) {
                files.push(real);
            } else {
                loaded.warnings.push(format!(
                    "{}: named more than once; it runs once",
                    display_path(&file)
                ));
            }
        }
    }
    loaded.files = files;
    Ok(loaded)
}

/// Reads and parses one feature file: its feature (outlines expanded, scenarios with errors
/// left out) unless it cannot be read, with its errors and warnings.
pub fn read_one(file: &Path) -> Loaded {
    let mut loaded = Loaded::default();
    match read(file) {
        Ok(text) => parse(file, &text, &mut loaded),
        Err(problem) => loaded.errors.push(problem),
    }
    loaded
}

/// Reads and parses `files` ([`read_one`]) on every core, yielding them in the order given.
/// Parsing is most of a large suite's start-up; a few dozen files are read ahead at most.
pub fn read_in_order(files: &[PathBuf]) -> impl Iterator<Item = Loaded> + '_ {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Enough files per batch that starting the threads costs little beside the parsing.
    let batch = 16 * workers;
    files.chunks(batch).flat_map(move |chunk| {
        let share = chunk.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let mut parts = chunk.chunks(share);
            let first = parts.next().unwrap_or_default();
            let others: Vec<_> = parts
                .map(|part| {
                    scope.spawn(move || part.iter().map(|f| read_one(f)).collect::<Vec<_>>())
                })
                .collect();
            let mut read: Vec<Loaded> = first.iter().map(|f| read_one(f)).collect();
            for other in others {
                // A panicking parse is a bug in gherkin: the run fails loudly rather than
                // running without the file.
                read.extend(other.join().expect("a feature file's parse panicked"));
            }
            read
        })
    })
}

/// Collects the regular `.feature` files under `dir`, sorted, following links once.
fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    visited: &mut HashSet<PathBuf>,
    warnings: &mut Vec<String>,
) {
    if !visited.insert(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        warnings.push(format!("{}: cannot list this folder", display_path(dir)));
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, found, visited, warnings);
        } else if path.extension().is_some_and(|e| e == "feature") {
            if meta.is_file() {
                found.push(path);
            } else {
                warnings.push(format!(
                    "{}: not a regular file (a FIFO, socket or device): skipped",
                    display_path(&path)
                ));
            }
        }
    }
}

fn read(file: &Path) -> Result<String, Problem> {
    let problem = |message: String| Problem {
        file: display_path(file),
        line: 1,
        col: 1,
        message,
    };
    let meta = std::fs::metadata(file).map_err(|e| problem(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(problem(
            "not a regular file (a FIFO, socket or device): not read".to_owned(),
        ));
    }
    let too_big = |size: u64| {
        problem(format!(
            "the file is {} KiB; feature files above {} KiB are refused (parsing time grows with \
             the square of the size): split it into several",
            size.div_ceil(1024),
            MAX_FEATURE_BYTES / 1024
        ))
    };
    if meta.len() > MAX_FEATURE_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_FEATURE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| problem(format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_FEATURE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        Problem {
            line,
            message: "not UTF-8 text".to_owned(),
            ..problem(String::new())
        }
    })
}

fn parse(file: &Path, text: &str, loaded: &mut Loaded) {
    let shown = display_path(file);
    // gherkin's result, read without gherkin when the text allows; the lint reads the text as is.
    match gherkin_fast::parse_feature(text) {
        Ok(mut feature) => {
            feature.path = Some(file.to_path_buf());
            let (errors, warnings) = lint(&shown, text, &feature);
            // A scenario with an error in it does not run (it would fail for the wrong reason):
            // an error belongs to the last scenario that starts at or above it.
            let mut starts: Vec<usize> = feature
                .scenarios
                .iter()
                .chain(feature.rules.iter().flat_map(|r| &r.scenarios))
                .map(|s| s.position.line)
                .collect();
            starts.sort_unstable();
            let bad: HashSet<usize> = errors
                .iter()
                .filter_map(|e| starts.iter().rev().find(|l| **l <= e.line).copied())
                .collect();
            feature
                .scenarios
                .retain(|s| !bad.contains(&s.position.line));
            for rule in &mut feature.rules {
                rule.scenarios.retain(|s| !bad.contains(&s.position.line));
            }
            loaded.errors.extend(errors);
            loaded.warnings.extend(warnings);
            // Each example row becomes a scenario of its own (what cucumber's parser does).
            match feature.expand_examples() {
                Ok(feature) => loaded.features.push(keywords::match_any_keyword(feature)),
                Err(e) => loaded.errors.push(Problem {
                    file: shown,
                    line: e.pos.line,
                    col: e.pos.col,
                    message: format!(
                        "<{}> is not a column of the outline's Examples table",
                        e.name
                    ),
                }),
            }
        }
        Err(error) => {
            // gherkin's `ParseError` keeps its position private; its message starts with it.
            let (line, _) = position_of(&error.to_string()).unwrap_or((1, 1));
            let (line, col, message) = diagnose(text, line);
            loaded.errors.push(Problem {
                file: shown,
                line,
                col,
                message,
            });
        }
    }
}

/// `Error at 4:20: ...` → (4, 20).
fn position_of(message: &str) -> Option<(usize, usize)> {
    let rest = message.strip_prefix("Error at ")?;
    let (line, rest) = rest.split_once(':')?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, col.parse().ok()?))
}

/// The text before a line's colon when it looks like a keyword (`Szenario` in `Szenario: x`).
fn keyword_part(line: &str) -> Option<&str> {
    let (head, _) = line.split_once(':')?;
    let words = head.split_whitespace().count();
    (words > 0 && words <= 3 && head.chars().all(|c| c.is_alphabetic() || c == ' '))
        .then_some(head.trim())
}

/// The block keyword `word` most likely means, when it is close to one but not one.
fn misspelt_keyword(word: &str) -> Option<&'static str> {
    if BLOCK_KEYWORDS.contains(&word) {
        return None;
    }
    // The closest; on a tie the commoner keyword (earlier in the list).
    let mut best: Option<(f64, &'static str)> = None;
    for k in BLOCK_KEYWORDS {
        let score = strsim::normalized_damerau_levenshtein(&word.to_lowercase(), &k.to_lowercase());
        if score >= 0.75 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Why gherkin refused the file, from the line it stopped at: (line, column, message).
fn diagnose(text: &str, reported: usize) -> (usize, usize, String) {
    let lines: Vec<&str> = text.lines().collect();
    // An unclosed docstring swallows the rest of the file.
    let mut open_doc = None;
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if t.starts_with("\"\"\"") || t.starts_with("```") {
            open_doc = if open_doc.is_some() { None } else { Some(i) };
        }
    }
    if let Some(i) = open_doc {
        return (
            i + 1,
            indent(lines[i]) + 1,
            "this docstring is never closed: end it with a line of \"\"\"".to_owned(),
        );
    }
    let index = reported.clamp(1, lines.len().max(1)) - 1;
    let Some(line) = lines.get(index) else {
        return (1, 1, "not a feature file: it is empty".to_owned());
    };
    let col = indent(line) + 1;
    let trimmed = line.trim();
    let quoted = format!("`{trimmed}`");
    if trimmed.starts_with('|') {
        let header = lines[..index]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with('|'))
            .last()
            .map(|l| cells(l.trim()));
        let width = cells(trimmed);
        if let Some(header) = header.filter(|h| *h != width) {
            return (
                index + 1,
                col,
                format!(
                    "this table row has {width} cell(s), its header {header}: every row needs \
                     as many cells as the header"
                ),
            );
        }
        if !trimmed.ends_with('|') || trimmed.len() == 1 {
            return (
                index + 1,
                col,
                format!("{quoted}: a table row must end with `|`"),
            );
        }
    }
    // The culprit is often above where gherkin stopped: a misspelt keyword or one without its
    // colon turns the lines after it into description text, and the next step is the error.
    let mut candidates = vec![index];
    for (i, l) in lines[..index].iter().enumerate().rev() {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if keyword_part(t).is_some_and(|k| BLOCK_KEYWORDS.contains(&k)) {
            break;
        }
        candidates.push(i);
    }
    for &i in &candidates {
        if let Some(found) = keyword_mistake(lines[i]) {
            return (i + 1, indent(lines[i]) + 1, found);
        }
    }
    let head = keyword_part(trimmed).unwrap_or_default();
    if BLOCK_KEYWORDS.contains(&head) {
        return (
            index + 1,
            col,
            format!("{quoted}: `{head}:` cannot come here"),
        );
    }
    (
        index + 1,
        col,
        format!(
            "{quoted} is not Gherkin: expected a step (Given, When, Then, And, But), a table row, \
             a docstring, a comment, or a line such as `Scenario:`"
        ),
    )
}

/// A keyword without its colon, or a misspelt one, on `line`.
fn keyword_mistake(line: &str) -> Option<String> {
    let trimmed = line.trim();
    let quoted = format!("`{trimmed}`");
    if let Some(keyword) = BLOCK_KEYWORDS.iter().rev().find(|k| {
        trimmed.starts_with(**k)
            && !trimmed[k.len()..].starts_with(char::is_alphanumeric)
            && !trimmed[k.len()..].trim_start().starts_with(':')
    }) {
        return Some(format!(
            "{quoted}: the keyword needs its colon: `{keyword}:`"
        ));
    }
    let first_word = trimmed
        .split(|c: char| c.is_whitespace() || c == ':')
        .next()
        .unwrap_or_default();
    let head = keyword_part(trimmed).unwrap_or(first_word);
    misspelt_keyword(head)
        .or_else(|| misspelt_keyword(first_word))
        .map(|keyword| format!("{quoted} is not a Gherkin keyword: did you mean `{keyword}:`?"))
}

fn indent(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

/// The cells of a table row (escaped pipes are content).
fn cells(row: &str) -> usize {
    let mut count: usize = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => count += 1,
            _ => escaped = false,
        }
    }
    count.saturating_sub(1)
}

/// Input gherkin accepts that a careful reader would not: (errors, warnings).
fn lint(shown: &str, text: &str, feature: &Feature) -> (Vec<Problem>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let problem = |line: usize, col: usize, message: String| Problem {
        file: shown.to_owned(),
        line,
        col,
        message,
    };
    // Misspelt keywords read as description text (English files only).
    let english = !text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('#') && l.contains("language:") && !l.trim_end().ends_with(" en")
    });
    let mut in_doc = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("\"\"\"") || t.starts_with("```") {
            in_doc = !in_doc;
            continue;
        }
        if in_doc || !english || t.starts_with('#') || t.starts_with('|') {
            continue;
        }
        if let Some(keyword) = keyword_part(t).and_then(misspelt_keyword) {
            errors.push(problem(
                i + 1,
                indent(line) + 1,
                format!(
                    "`{}:` is not a Gherkin keyword (did you mean `{keyword}:`?): what follows \
                     is read as description text and never runs",
                    keyword_part(t).unwrap_or_default()
                ),
            ));
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let scenarios: Vec<&Scenario> = feature
        .scenarios
        .iter()
        .chain(feature.rules.iter().flat_map(|r| &r.scenarios))
        .collect();
    if scenarios.is_empty() && errors.is_empty() {
        warnings.push(format!(
            "{shown}:{}:{}: the feature `{}` has no scenarios",
            feature.position.line, feature.position.col, feature.name
        ));
    }
    for scenario in scenarios {
        let at = |message: String| problem(scenario.position.line, scenario.position.col, message);
        let outline = scenario.keyword.contains("Outline") || scenario.keyword.contains("Template");
        if outline && scenario.examples.is_empty() {
            errors.push(at(format!(
                "`{}: {}` has no Examples: it would run once with its <placeholders> as text; \
                 add an `Examples:` table",
                scenario.keyword, scenario.name
            )));
        }
        for examples in &scenario.examples {
            let rows = examples.table.as_ref().map_or(0, |t| t.rows.len());
            if rows < 2 {
                errors.push(problem(
                    examples.position.line,
                    examples.position.col,
                    format!(
                        "these Examples of `{}` have no rows under their header: the outline \
                         would never run",
                        scenario.name
                    ),
                ));
            }
            if let Some(table) = &examples.table {
                errors.extend(ragged(shown, &lines, table));
            }
        }
        for step in &scenario.steps {
            if let Some(table) = &step.table {
                errors.extend(ragged(shown, &lines, table));
            }
        }
    }
    (errors, warnings)
}

/// Rows of `table` whose cell count (in the file) differs from the header's.
fn ragged(shown: &str, all_lines: &[&str], table: &Table) -> Vec<Problem> {
    let lines: Vec<&str> = all_lines
        .iter()
        .skip(table.position.line.saturating_sub(1))
        .take_while(|l| l.trim_start().starts_with('|'))
        .copied()
        .collect();
    let Some(header) = lines.first().map(|l| cells(l.trim())) else {
        return Vec::new();
    };
    lines
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| cells(l.trim()) != header)
        .map(|(i, l)| Problem {
            file: shown.to_owned(),
            line: table.position.line + i,
            col: indent(l) + 1,
            message: format!(
                "this table row has {} cell(s), its header {header}: every row needs as many \
                 cells as the header",
                cells(l.trim())
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gherkin_positions_are_read_from_its_message() {
        assert_eq!(position_of("Error at 4:20: {\"x\"}"), Some((4, 20)));
        assert_eq!(position_of("something else"), None);
    }

    #[test]
    fn misspelt_keywords_are_recognised_and_others_are_not() {
        assert_eq!(misspelt_keyword("Szenario"), Some("Scenario"));
        assert_eq!(misspelt_keyword("Exampels"), Some("Examples"));
        assert_eq!(
            misspelt_keyword("Scenario Outlin"),
            Some("Scenario Outline")
        );
        assert_eq!(misspelt_keyword("Scenario"), None);
        assert_eq!(misspelt_keyword("Note"), None);
        assert_eq!(misspelt_keyword("Given"), None);
    }

    #[test]
    fn table_cells_count_escaped_pipes_as_content() {
        assert_eq!(cells("| a | b |"), 2);
        assert_eq!(cells("| a \\| b | c |"), 2);
        assert_eq!(cells("| a | b | c |"), 3);
    }
}
