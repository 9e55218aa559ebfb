//! `callspec steps`: the step catalog, generated from the step definitions so it cannot drift.
//!
//! build.rs embeds every step file's source; each `#[given(...)]`/`#[when(...)]`/`#[then(...)]`
//! is paired with the doc comment above it: its first backticked Gherkin example and its prose.
//! `--check` proves the catalog against the real step collection: every step function has an
//! example, and cucumber matches each example to that very function (not another, not several).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use cucumber::codegen::{StepConstructor as _, WorldInventory};
use cucumber::gherkin::{Step, StepType};
use cucumber::World as _;

use std::process::ExitCode;

use super::cli::{StepsArgs, StepsFormat};
use crate::world::CallWorld;

include!(concat!(env!("OUT_DIR"), "/step_sources.rs"));

/// The order domains are printed in (how a spec reads); other files follow alphabetically.
const DOMAIN_ORDER: &[&str] = &[
    "permissions",
    "request",
    "call",
    "response",
    "notifications",
];

/// Which keyword a step definition answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Given,
    When,
    Then,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Given => "Given",
            Kind::When => "When",
            Kind::Then => "Then",
        }
    }

    fn step_type(self) -> StepType {
        match self {
            Kind::Given => StepType::Given,
            Kind::When => StepType::When,
            Kind::Then => StepType::Then,
        }
    }
}

/// How the step's text is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// `#[given("text")]`: the whole step text, exactly.
    Literal,
    /// `#[given(expr = "... {string} ...")]`: a Cucumber Expression.
    Expr,
    /// `#[given(regex = r"^...$")]`.
    Regex,
}

/// One step definition as its source declares it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file as `file!()` names it, e.g. `steps/call.rs`.
    pub file: &'static str,
    /// The attribute's line (1-based).
    pub line: usize,
    pub kind: Kind,
    pub pattern_kind: PatternKind,
    pub pattern: String,
    pub function: String,
    /// The first backticked Gherkin example of the doc comment, keyword included.
    pub example: Option<String>,
    /// The rest of the doc comment.
    pub prose: String,
}

impl Entry {
    /// The example, or for an undocumented step its pattern (and `true`).
    fn shown(&self) -> (String, bool) {
        match (&self.example, self.pattern_kind) {
            (Some(example), _) => (example.clone(), false),
            (None, PatternKind::Regex) => {
                (format!("{} /{}/", self.kind.name(), self.pattern), true)
            }
            (None, _) => (format!("{} {}", self.kind.name(), self.pattern), true),
        }
    }

    /// `steps/call.rs` → `call`.
    pub fn domain(&self) -> &str {
        domain_of(self.file)
    }
}

fn domain_of(file: &str) -> &str {
    file.rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".rs")
}

/// Every step definition of every embedded step file, in source order.
pub fn entries() -> Vec<Entry> {
    STEP_SOURCES
        .iter()
        .flat_map(|(file, source)| parse_source(file, source))
        .collect()
}

/// The first line of a file's `//!` module doc.
fn module_summary(source: &str) -> String {
    source
        .lines()
        .map(str::trim_start)
        .take_while(|l| l.starts_with("//!") || l.is_empty())
        .find_map(|l| {
            l.strip_prefix("//!")
                .map(str::trim)
                .filter(|l| !l.is_empty())
        })
        .unwrap_or_default()
        .to_owned()
}

fn attribute_kind(line: &str) -> Option<Kind> {
    let line = line.trim_start();
    [
        ("#[given(", Kind::Given),
        ("#[when(", Kind::When),
        ("#[then(", Kind::Then),
    ]
    .into_iter()
    .find_map(|(prefix, kind)| line.starts_with(prefix).then_some(kind))
}

/// The step definitions of one source file.
pub fn parse_source(file: &'static str, source: &str) -> Vec<Entry> {
    let lines: Vec<&str> = source.lines().collect();
    let mut entries = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(kind) = attribute_kind(lines[i]) else {
            i += 1;
            continue;
        };
        let start = i;
        // The attribute may span lines: up to the line that closes it.
        let mut attribute = String::new();
        while i < lines.len() {
            attribute.push_str(lines[i].trim());
            attribute.push('\n');
            if lines[i].trim_end().ends_with(")]") {
                break;
            }
            i += 1;
        }
        let function = lines[i + 1..]
            .iter()
            .find_map(|l| function_name(l))
            .unwrap_or_default();
        let (pattern_kind, pattern) = parse_attribute(&attribute).unwrap_or((
            PatternKind::Literal,
            format!("(unreadable attribute: {})", attribute.trim()),
        ));
        let doc = doc_above(&lines, start);
        let (example, prose) = split_doc(&doc);
        entries.push(Entry {
            file,
            line: start + 1,
            kind,
            pattern_kind,
            pattern,
            function,
            example,
            prose,
        });
        i += 1;
    }
    entries
}

fn function_name(line: &str) -> Option<String> {
    let rest = line.split_once("fn ")?.1;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The `///` lines right above line `at` (other attributes in between are skipped).
fn doc_above(lines: &[&str], at: usize) -> Vec<String> {
    let mut doc = Vec::new();
    for line in lines[..at].iter().rev() {
        let line = line.trim_start();
        if let Some(text) = line.strip_prefix("///") {
            doc.push(text.strip_prefix(' ').unwrap_or(text).trim_end().to_owned());
        } else if line.starts_with("#[") {
            continue;
        } else {
            break;
        }
    }
    doc.reverse();
    doc
}

/// The attribute's pattern: `"..."`, `expr = "..."` or `regex = r"..."`.
fn parse_attribute(attribute: &str) -> Option<(PatternKind, String)> {
    let inner = attribute.trim();
    let inner = inner.split_once('(')?.1;
    let inner = inner.trim_end().strip_suffix(")]")?.trim();
    let (kind, literal) = if let Some(rest) = inner.strip_prefix("expr") {
        (PatternKind::Expr, rest.trim_start().strip_prefix('=')?)
    } else if let Some(rest) = inner.strip_prefix("regex") {
        (PatternKind::Regex, rest.trim_start().strip_prefix('=')?)
    } else {
        (PatternKind::Literal, inner)
    };
    Some((kind, parse_string_literal(literal.trim())?))
}

/// A Rust string literal's value: `"a\"b"`, `r"..."`, `r#"..."#`.
fn parse_string_literal(text: &str) -> Option<String> {
    if let Some(raw) = text.strip_prefix('r') {
        let hashes = raw.chars().take_while(|c| *c == '#').count();
        let body = raw[hashes..].strip_prefix('"')?;
        let close = format!("\"{}", "#".repeat(hashes));
        return body.find(&close).map(|end| body[..end].to_owned());
    }
    let mut chars = text.strip_prefix('"')?.chars();
    let mut out = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                '\n' => {
                    // A line continuation: the next line's leading whitespace is dropped.
                    let rest: String = chars.clone().collect();
                    let trimmed = rest.trim_start();
                    let skip = rest.chars().count() - trimmed.chars().count();
                    for _ in 0..skip {
                        chars.next();
                    }
                }
                'u' => {
                    let rest: String = chars.clone().collect();
                    let hex = rest.strip_prefix('{')?.split_once('}')?.0.to_owned();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                    for _ in 0..hex.len() + 2 {
                        chars.next();
                    }
                }
                other => out.push(other),
            },
            other => out.push(other),
        }
    }
    None
}

const KEYWORDS: &[&str] = &["Given ", "When ", "Then ", "And ", "But "];

/// The doc's first backticked Gherkin example and the prose around it.
fn split_doc(doc: &[String]) -> (Option<String>, String) {
    let text = doc
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut search = 0;
    while let Some(open) = text[search..].find('`').map(|o| o + search) {
        let Some(close) = text[open + 1..].find('`').map(|c| c + open + 1) else {
            break;
        };
        let span = &text[open + 1..close];
        if KEYWORDS.iter().any(|k| span.starts_with(k)) {
            let before = text[..open].trim();
            let after = text[close + 1..]
                .trim_start_matches([':', ',', ';', '.'])
                .trim();
            let prose = match (before.is_empty(), after.is_empty()) {
                (true, _) => after.to_owned(),
                (false, true) => before.to_owned(),
                (false, false) => format!("{before} {after}"),
            };
            return (Some(span.to_owned()), prose);
        }
        search = close + 1;
    }
    (None, text)
}

/// The example's keyword and the text cucumber matches (`Given a b` → `("Given", "a b")`).
fn split_keyword(example: &str) -> Option<(&str, &str)> {
    KEYWORDS.iter().find_map(|k| {
        example
            .strip_prefix(k)
            .map(|rest| (k.trim_end(), rest.trim()))
    })
}

/// Entries grouped by domain, in reading order.
fn grouped(entries: &[Entry]) -> Vec<(&'static str, Vec<&Entry>)> {
    let mut groups: BTreeMap<(usize, &'static str), Vec<&Entry>> = BTreeMap::new();
    for entry in entries {
        let rank = DOMAIN_ORDER
            .iter()
            .position(|d| *d == entry.domain())
            .unwrap_or(DOMAIN_ORDER.len());
        groups.entry((rank, entry.file)).or_default().push(entry);
    }
    groups
        .into_iter()
        .map(|((_, file), list)| (file, list))
        .collect()
}

fn summary_of(file: &str) -> String {
    STEP_SOURCES
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, source)| module_summary(source))
        .unwrap_or_default()
}

/// The catalog as plain text: per file, each step's example and what it does.
pub fn render_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for (file, list) in grouped(entries) {
        let summary = summary_of(file);
        let _ = writeln!(out, "{} ({file})", domain_of(file));
        if !summary.is_empty() {
            let _ = writeln!(out, "  {summary}");
        }
        out.push('\n');
        for entry in list {
            let (shown, undocumented) = entry.shown();
            let note = if undocumented { " (undocumented)" } else { "" };
            let _ = writeln!(out, "  {shown}{note}");
            if !entry.prose.is_empty() {
                let _ = writeln!(out, "      {}", entry.prose);
            }
        }
        out.push('\n');
    }
    out
}

/// A Markdown cell: pipes escaped (also inside code spans, as GitHub tables need).
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The catalog as Markdown tables, one per file.
pub fn render_markdown(entries: &[Entry]) -> String {
    let mut out = String::new();
    for (file, list) in grouped(entries) {
        let summary = summary_of(file);
        let _ = write!(out, "### {}", domain_of(file));
        if !summary.is_empty() {
            let _ = write!(out, ": {}", summary.trim_end_matches('.'));
        }
        let _ = writeln!(out, "\n");
        out.push_str(&table(&list));
        out.push('\n');
    }
    out
}

/// One Markdown table of steps: each example and what it does.
fn table(list: &[&Entry]) -> String {
    let mut out = String::from("| step | what it does |\n| --- | --- |\n");
    for entry in list {
        let (shown, undocumented) = entry.shown();
        let prose = if undocumented {
            "(undocumented)"
        } else {
            &entry.prose
        };
        let _ = writeln!(out, "| `{}` | {} |", cell(&shown), cell(prose));
    }
    out
}

/// The command that writes the book's step reference page (docs/src/reference/steps.md).
pub const BOOK_COMMAND: &str = "cargo run -- steps --format book > docs/src/reference/steps.md";

/// The first paragraph of a file's `//!` module doc, joined into one line.
fn module_paragraph(source: &str) -> String {
    source
        .lines()
        .map(str::trim_start)
        .map_while(|l| l.strip_prefix("//!"))
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the book explains a step file's steps in context (a heading the link check proves).
fn explained_in(domain: &str) -> Option<(&'static str, &'static str)> {
    Some(match domain {
        "permissions" => (
            "../writing-specs.md#the-app-and-its-token",
            "The app and its token",
        ),
        "request" => ("../writing-specs.md#the-request", "The request"),
        "call" => ("../writing-specs.md#the-bot-acts", "The bot acts"),
        "response" => ("../writing-specs.md#the-response", "The response"),
        "notifications" => ("../writing-specs.md#the-notifications", "The notifications"),
        "faults" => ("../writing-specs.md#faults", "Faults"),
        "operations" | "media" => (
            "../writing-specs.md#the-bots-operations-on-the-current-call",
            "The bot's operations on the current call",
        ),
        "remote" => (
            "../writing-specs.md#the-other-side-mock-mode",
            "The other side",
        ),
        "bot" | "forgery" => (
            "../bot.md#steps-for-a-bot-under-test",
            "Steps for a bot under test",
        ),
        _ => return None,
    })
}

/// The book's step reference: a header saying how it is made, then per step file its module
/// doc, where the book explains its steps, and the catalog's table.
pub fn render_book(entries: &[Entry]) -> String {
    let mut out = format!(
        "<!-- Generated from the step catalog: do not edit. Regenerate with\n     \
         {BOOK_COMMAND}\n     (a test fails when this page is stale). -->\n\n\
         # Step reference\n\n\
         Every step callspec knows, grouped by the step file that defines it, each with an \
         example and what it does. The page is generated from the step definitions' doc \
         comments (`callspec steps` prints the same catalog), so it lists exactly the steps a \
         run matches. A step is found by its text whatever its keyword. \
         [Writing specs](../writing-specs.md) explains them in context: values, variables, \
         durations and the `within` windows; [Markers](../markers.md) the patterns of expected \
         payloads.\n\n\
         {} steps.\n",
        entries.len()
    );
    for (file, list) in grouped(entries) {
        let domain = domain_of(file);
        let _ = writeln!(out, "\n## {domain}\n");
        let source = STEP_SOURCES
            .iter()
            .find(|(f, _)| *f == file)
            .map_or("", |(_, source)| *source);
        let paragraph = module_paragraph(source);
        let see = explained_in(domain)
            .map(|(link, title)| format!(" In context: [{title}]({link})."))
            .unwrap_or_default();
        if !paragraph.is_empty() || !see.is_empty() {
            let _ = writeln!(out, "{}{see}\n", paragraph.trim());
        }
        let _ = writeln!(out, "`{file}`\n");
        out.push_str(&table(&list));
    }
    out
}

/// `callspec steps --match PATH...`: every feature file under the paths parses, and each step
/// of its scenarios (backgrounds included) matches a step of the catalog. Nothing runs.
fn match_files(paths: &[std::path::PathBuf]) -> ExitCode {
    let loaded = match super::features::discover(paths) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("callspec: {e}");
            return ExitCode::from(2);
        }
    };
    let mut problems: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
    let (mut files, mut steps) = (0, 0);
    for file in &loaded.files {
        let one = super::features::read_one(file);
        problems.extend(one.errors.iter().map(ToString::to_string));
        for feature in &one.features {
            files += 1;
            let Some(path) = feature.path.as_deref() else {
                continue;
            };
            let mut all = Vec::new();
            for (rule, scenario) in super::select::scenarios_of(feature) {
                let rule_background = rule.and_then(|r| r.background.as_ref());
                let background = feature.background.iter().chain(rule_background);
                for step in background.flat_map(|b| &b.steps).chain(&scenario.steps) {
                    all.push((path, step));
                }
            }
            steps += all.len();
            problems.extend(unknown_steps(all));
        }
    }
    for problem in &problems {
        outln!("{problem}");
    }
    if problems.is_empty() {
        outln!("{steps} steps in {files} feature file(s), each matching a step of the catalog");
        ExitCode::SUCCESS
    } else {
        outln!("{} problem(s)", problems.len());
        ExitCode::from(1)
    }
}

/// Every problem with the catalog: undocumented steps, examples that do not match their own
/// step, and step functions the source scan missed. Empty when the catalog is proven.
pub fn check(entries: &[Entry]) -> Vec<String> {
    let mut problems = Vec::new();
    let collection = CallWorld::collection();

    // Every real step definition (as cucumber registered it) has an entry.
    let mut defined = Vec::new();
    for given in cucumber::codegen::inventory::iter::<<CallWorld as WorldInventory>::Given> {
        defined.push((Kind::Given, given.inner().0));
    }
    for when in cucumber::codegen::inventory::iter::<<CallWorld as WorldInventory>::When> {
        defined.push((Kind::When, when.inner().0));
    }
    for then in cucumber::codegen::inventory::iter::<<CallWorld as WorldInventory>::Then> {
        defined.push((Kind::Then, then.inner().0));
    }
    for (kind, loc) in &defined {
        let found = entries
            .iter()
            .any(|e| e.file == loc.path && e.line == loc.line as usize && e.kind == *kind);
        if !found {
            problems.push(format!(
                "{}:{}: a {} step the catalog does not list (is its file under steps/?)",
                loc.path,
                loc.line,
                kind.name()
            ));
        }
    }
    if defined.len() != entries.len() {
        problems.push(format!(
            "the catalog lists {} steps, cucumber has {}",
            entries.len(),
            defined.len()
        ));
    }

    for entry in entries {
        let at = format!("{}:{} ({})", entry.file, entry.line, entry.function);
        let Some(example) = &entry.example else {
            problems.push(format!(
                "{at}: no doc example: add a `/// `{} ...`: what it does` line above the attribute",
                entry.kind.name()
            ));
            continue;
        };
        let Some((keyword, text)) = split_keyword(example) else {
            problems.push(format!(
                "{at}: the example `{example}` has no Gherkin keyword"
            ));
            continue;
        };
        if !matches!(keyword, "And" | "But") && keyword != entry.kind.name() {
            problems.push(format!(
                "{at}: the example `{example}` starts with {keyword}, the step is a {}",
                entry.kind.name()
            ));
            continue;
        }
        let step = Step {
            keyword: format!("{} ", entry.kind.name()),
            ty: entry.kind.step_type(),
            value: text.to_owned(),
            docstring: None,
            table: None,
            span: Default::default(),
            position: Default::default(),
        };
        match collection.find(&step) {
            Ok(Some((_, _, Some(loc), _)))
                if loc.path == entry.file && loc.line as usize == entry.line => {}
            Ok(Some((_, _, loc, _))) => problems.push(format!(
                "{at}: the example `{example}` runs another step ({})",
                loc.map(|l| l.to_string())
                    .unwrap_or_else(|| "unknown".into())
            )),
            Ok(None) => problems.push(format!(
                "{at}: the example `{example}` does not match the step's pattern /{}/",
                entry.pattern
            )),
            Err(e) => problems.push(format!("{at}: the example `{example}` is ambiguous: {e}")),
        }
    }
    problems
}

/// A step's text in a form where arguments do not count: quoted strings and numbers become
/// placeholders, case and repeated spaces are ignored.
fn comparable(text: &str) -> String {
    let quoted = regex::Regex::new(r#""[^"]*""#).expect("valid regex");
    let numbers = regex::Regex::new(r"\d+").expect("valid regex");
    let text = quoted.replace_all(text.trim(), "\"\"");
    let text = numbers.replace_all(&text, "0");
    text.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The catalog's examples closest to a step text nothing matches, closest first (at most
/// `max`): a typo (`recieves`) or a missing word still finds its step.
pub fn suggest(entries: &[Entry], text: &str, max: usize) -> Vec<String> {
    let wanted = comparable(text);
    let mut scored: Vec<(f64, String)> = entries
        .iter()
        .filter_map(|e| {
            let example = e.example.as_deref()?;
            let (_, body) = split_keyword(example)?;
            let score = strsim::normalized_damerau_levenshtein(&wanted, &comparable(body));
            Some((score, example.to_owned()))
        })
        .filter(|(score, _)| *score >= 0.6)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    // Only the steps about as close as the best: a clear typo gets one suggestion.
    let best = scored.first().map_or(0.0, |(score, _)| *score);
    scored
        .into_iter()
        .take_while(|(score, _)| *score >= best - 0.05)
        .take(max)
        .map(|(_, e)| e)
        .collect()
}

/// One line per step of the chosen scenarios that no step definition matches, with the
/// closest steps of the catalog: `file:line:col: no step matches "..."; did you mean ...`.
pub fn unknown_steps<'f>(
    scenarios: impl IntoIterator<Item = (&'f std::path::Path, &'f Step)>,
) -> Vec<String> {
    // Built once: the run reads feature files one at a time. Statics, not the run context:
    // cucumber's step collection comes from link-time registrations, the same for every run.
    static KNOWN: std::sync::OnceLock<(cucumber::step::Collection<CallWorld>, Vec<Entry>)> =
        std::sync::OnceLock::new();
    let (collection, entries) = KNOWN.get_or_init(|| (CallWorld::collection(), entries()));
    // Steps repeat across scenarios: one known to match is not looked up again (bounded: a
    // suite of distinct steps does not grow it without end).
    type Known = [std::collections::HashSet<String>; 3];
    static MATCHING: std::sync::Mutex<Option<Known>> = std::sync::Mutex::new(None);
    const MATCHING_CAP: usize = 4096;
    let mut matching = MATCHING.lock().unwrap_or_else(|e| e.into_inner());
    let matching = matching.get_or_insert_with(Default::default);
    let mut seen = std::collections::HashSet::new();
    let mut lines = Vec::new();
    for (file, step) in scenarios {
        let known = &mut matching[match step.ty {
            StepType::Given => 0,
            StepType::When => 1,
            StepType::Then => 2,
        }];
        if known.contains(&step.value) {
            continue;
        }
        if !matches!(collection.find(step), Ok(None)) {
            if known.len() < MATCHING_CAP {
                known.insert(step.value.clone());
            }
            continue;
        }
        // A background step shows once, not once per scenario.
        if !seen.insert((file, step.position.line, step.position.col)) {
            continue;
        }
        let shown = format!("{}{}", step.keyword, step.value);
        let hint = match suggest(entries, &step.value, 3).as_slice() {
            [] => " (`callspec steps` lists every step)".to_owned(),
            [one] => format!("; did you mean \"{one}\"?"),
            many => format!(
                "; did you mean one of:\n{}",
                many.iter()
                    .map(|s| format!("    {s}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        lines.push(format!(
            "{}:{}:{}: no step matches \"{}\"{hint}",
            shown_path(file),
            step.position.line,
            step.position.col,
            shown.trim()
        ));
    }
    lines
}

/// A feature file as messages show it: relative to the working directory when under it.
fn shown_path(file: &std::path::Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok())
        .unwrap_or(file)
        .display()
        .to_string()
}

/// `callspec steps`: prints the catalog, or checks it (`--check`).
pub fn command(args: StepsArgs) -> ExitCode {
    if !args.matching.is_empty() {
        return match_files(&args.matching);
    }
    let entries = entries();
    if args.check {
        let problems = check(&entries);
        if problems.is_empty() {
            outln!("{} steps, each with an example that runs it", entries.len());
            return ExitCode::SUCCESS;
        }
        for problem in &problems {
            outln!("{problem}");
        }
        outln!("{} problem(s) in the step catalog", problems.len());
        return ExitCode::from(1);
    }
    let text = match args.format {
        StepsFormat::Text => render_text(&entries),
        StepsFormat::Markdown => render_markdown(&entries),
        StepsFormat::Book => render_book(&entries),
    };
    out!("{text}");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_or_a_missing_word_finds_its_step() {
        let entries = entries();
        let typo = suggest(&entries, "the bot recieves notifications in order:", 3);
        assert_eq!(typo, ["Then the bot receives notifications in order:"]);
        let missing = suggest(&entries, "the bot creates call", 3);
        assert_eq!(
            missing.first().map(String::as_str),
            Some("When the bot creates the call")
        );
        // Arguments do not count: another template name is still the same step.
        let argument = suggest(&entries, "a call request from templat \"x/y\"", 3);
        assert_eq!(
            argument.first().map(String::as_str),
            Some("Given a call request from template \"v1/p2p-voip-service-hosted\"")
        );
        assert!(suggest(&entries, "the bot does a backflip", 3).is_empty());
    }

    #[test]
    fn catalog_parses_attributes_and_docs() {
        let source = r##"//! Steps about things.

/// `Given a thing "x"`: makes a thing.
/// More words.
#[given(expr = "a thing {string}")]
fn thing(world: &mut CallWorld, name: String) {}

#[then(
    regex = r#"^it is "([^"]+)"$"#
)]
async fn is(world: &mut CallWorld, what: String) {}

/// Not an example: `code`, then `When it runs`.
#[when("it runs")]
fn runs(world: &mut CallWorld) {}
"##;
        let entries = parse_source("steps/things.rs", source);
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].line, 5);
        assert_eq!(entries[0].pattern, "a thing {string}");
        assert_eq!(entries[0].example.as_deref(), Some("Given a thing \"x\""));
        assert_eq!(entries[0].prose, "makes a thing. More words.");
        assert_eq!(entries[0].function, "thing");
        assert_eq!(entries[1].pattern, r#"^it is "([^"]+)"$"#);
        assert_eq!(entries[1].example, None);
        assert_eq!(entries[1].function, "is");
        assert_eq!(entries[2].example.as_deref(), Some("When it runs"));
        assert_eq!(entries[2].pattern, "it runs");
    }
}
