//! Step data tables read without gherkin's grammar, for speed.
//!
//! gherkin 0.16 reads a data table through its PEG rules one character at a time, with a vector
//! entry per character of every cell. Callgrind put its `__parse_table` at ~250K instructions per
//! scenario of the generated benchmark suite: two-thirds of all parsing time, and ~13% of a whole
//! run. So before gherkin parses a file, a pass over its lines finds the *simple* step tables and
//! reads their rows here; gherkin parses a copy of the text in which each of those row lines is
//! empty (its line break kept, so every line number and column stays), the spans it gives are
//! moved back to offsets in the original text, and the tables are put on their steps. The result
//! equals gherkin's own parse of the original text, spans and positions included; whatever is
//! unusual is left to gherkin, and on any doubt (a parse error, a table that finds no step) the
//! original text is parsed by gherkin alone.
//!
//! Parsing a generated file of 20 benchmark scenarios (callgrind, release build) costs 7.1M
//! instructions with gherkin alone, 2.7M this way. The rows are emptied rather than blanked
//! because blanks cost gherkin most: measured side by side (with an earlier version of this
//! pass), 3.0M emptied, 4.5M as comment lines of the same length, 19.7M as spaces (gherkin's
//! `nl_eof` tries a comment at every space, reading all the blanks after it each time).
//!
//! A simple table: rows on the lines right after an English step line (`Given`, `When`, `Then`,
//! `And`, `But`, `*`) of a Background or Scenario, outside docstrings, each row a line of its own
//! that starts with `|` and ends with an unescaped `|`, every row as wide as the first, and no
//! further row after blank or comment lines (gherkin would carry the table on across them).
//! Examples tables, tables after a docstring and files with a `# language:` line go to gherkin.
//!
//! Whole files are now read without gherkin by [`super::gherkin_fast`], which shares this
//! module's row reader ([`parse_row`]); this path is its fallback for what it does not read
//! (a `# language:` line, a shorter table row, text gherkin rejects).
//!
//! Pure: no I/O.

use std::borrow::Cow;
use std::ops::Range;

use cucumber::gherkin::{
    Background, Feature, GherkinEnv, LineCol, ParseError, Scenario, Span, Step, Table,
};

/// What gherkin's `_` rule skips.
const BLANKS: [char; 2] = [' ', '\t'];

/// gherkin's English step keywords (each with its space, as gherkin matches them).
const STEP_KEYWORDS: [&str; 6] = ["Given ", "When ", "Then ", "And ", "But ", "* "];

/// Block keywords under which a step line may carry a table.
const STEP_BLOCKS: [&str; 5] = [
    "Background:",
    "Scenario:",
    "Example:",
    "Scenario Outline:",
    "Scenario Template:",
];

/// Block keywords under which lines are not steps (descriptions, Examples tables).
const OTHER_BLOCKS: [&str; 6] = [
    "Feature:",
    "Business Need:",
    "Ability:",
    "Rule:",
    "Examples:",
    "Scenarios:",
];

/// A docstring's fences; gherkin's `docstring` rule closes at the first repeat of the opening one.
const FENCES: [&str; 2] = ["\"\"\"", "```"];

/// Parses `text` as `Feature::parse(text, GherkinEnv::default())` does, with the same result,
/// reading simple step tables itself.
pub fn parse_feature(text: &str) -> Result<Feature, ParseError> {
    parse_counted(text).0
}

/// How a parse went: how many tables were read here, or that gherkin read the original text
/// alone (nothing to do, or a doubt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    FastTables(usize),
    GherkinAlone,
}

fn parse_counted(text: &str) -> (Result<Feature, ParseError>, Route) {
    let gherkin_alone = || {
        (
            Feature::parse(text, GherkinEnv::default()),
            Route::GherkinAlone,
        )
    };
    let text = as_gherkin_reads(text);
    let found = simple_tables(&text);
    if found.is_empty() {
        return gherkin_alone();
    }
    let (emptied, removed) = emptied(&text, &found);
    let Ok(mut feature) = Feature::parse(emptied, GherkinEnv::default()) else {
        // Errors are rare: gherkin's own message and position, at any cost.
        return gherkin_alone();
    };
    restore_spans(&mut feature, &removed);
    let count = found.len();
    if attach(&mut feature, found) {
        (Ok(feature), Route::FastTables(count))
    } else {
        gherkin_alone()
    }
}

/// gherkin appends a line break to text without one; offsets are counted in what it reads.
pub fn as_gherkin_reads(text: &str) -> Cow<'_, str> {
    if text.ends_with('\n') {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{text}\n"))
    }
}

/// A simple step table found in the text, read as gherkin would.
#[derive(Debug)]
struct FoundTable {
    /// The line of the step it belongs to (1-based; the table starts on the next one).
    step_line: usize,
    table: Table,
    /// The bytes of its row lines, line breaks included (emptied for gherkin).
    rows: Range<usize>,
}

/// One line of the text: where it starts, and its content without the line break (`\n` or
/// `\r\n`; a lone `\r` is content, as for gherkin).
struct Line<'a> {
    start: usize,
    content: &'a str,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut start = 0;
    text.split_inclusive('\n')
        .map(|raw| {
            let content = raw.strip_suffix('\n').unwrap_or(raw);
            let content = content.strip_suffix('\r').unwrap_or(content);
            let line = Line { start, content };
            start += raw.len();
            line
        })
        .collect()
}

/// The simple step tables of `text` (which ends with a line break), in order. None at all when
/// the file names its language: only English keywords are known here.
fn simple_tables(text: &str) -> Vec<FoundTable> {
    let lines = lines(text);
    let mut found = Vec::new();
    let mut under_steps = false;
    let mut open_fence: Option<&'static str> = None;
    let mut i = 0;
    while i < lines.len() {
        let content = lines[i].content;
        let trimmed = content.trim_start_matches(BLANKS);
        i += 1;
        if is_language_directive(trimmed) {
            return Vec::new();
        }
        if let Some(fence) = open_fence {
            if closes(content, fence) {
                open_fence = None;
            }
            continue;
        }
        if let Some(&fence) = FENCES.iter().find(|f| trimmed.starts_with(**f)) {
            if !closes(&trimmed[fence.len()..], fence) {
                open_fence = Some(fence);
            }
            continue;
        }
        let untagged = without_tags(trimmed);
        if STEP_BLOCKS.iter().any(|k| untagged.starts_with(k)) {
            under_steps = true;
            continue;
        }
        if OTHER_BLOCKS.iter().any(|k| untagged.starts_with(k)) {
            under_steps = false;
            continue;
        }
        if !under_steps || !is_step(trimmed) {
            continue;
        }
        // The rows: the lines right after the step that start with `|`.
        let first_row = i;
        while i < lines.len() && lines[i].content.trim_start_matches(BLANKS).starts_with('|') {
            i += 1;
        }
        if i > first_row {
            found.extend(read_table(text, &lines[first_row..i], first_row + 1));
        }
    }
    found
}

/// Reads `rows` (lines starting with `|`, the first on 1-based line `line`) as gherkin's `table`
/// rule would; `None` when the table is not simple.
fn read_table(text: &str, rows: &[Line<'_>], line: usize) -> Option<FoundTable> {
    let mut read = Vec::with_capacity(rows.len());
    for row in rows {
        let indent = row.content.len() - row.content.trim_start_matches(BLANKS).len();
        let cells = &row.content[indent..];
        // A fence in a cell could end a docstring gherkin is trying elsewhere: not simple.
        if has_fence(cells) {
            return None;
        }
        read.push(parse_row(cells)?);
    }
    // Unequal widths: gherkin's `table0` truncates and its `table` fails; both stay gherkin's.
    if read.iter().any(|r| r.len() != read[0].len()) {
        return None;
    }
    let first = rows.first()?;
    let last = rows.last()?;
    let start = first.start + first.content.len() - first.content.trim_start_matches(BLANKS).len();
    // The last row's `nl_eof`: blanks, line breaks and comment lines, up to the next token.
    let end = skip_blanks_and_comments(text, last.start + last.content.len());
    let next = &text[end..];
    // A row there would carry the table on; a docstring there would become the step's once the
    // rows are gone.
    if next.starts_with('|') || FENCES.iter().any(|f| next.starts_with(f)) {
        return None;
    }
    let rows_end = text[last.start..]
        .find('\n')
        .map_or(text.len(), |n| last.start + n + 1);
    Some(FoundTable {
        step_line: line - 1,
        table: Table {
            rows: read,
            span: Span { start, end },
            position: LineCol {
                line,
                col: start - first.start + 1,
            },
        },
        rows: first.start..rows_end,
    })
}

/// A row as gherkin's `table_row` reads it: `row` runs from the first `|` to the end of the line
/// (no line break). `None` where that rule would fail (a lone backslash, no closing `|`,
/// something after it).
pub fn parse_row(row: &str) -> Option<Vec<String>> {
    // Most tables have a few columns: one allocation, not three.
    let mut cells = Vec::with_capacity(4);
    let mut at = 0;
    // `table_cell() ** _`: the `_` between cells takes nothing, each cell's content having taken
    // the blanks before the next `|`.
    while let Some((cell, next)) = parse_cell(row, at) {
        cells.push(cell);
        at = next;
    }
    // `_ "|" _` and then the line break.
    let after = trim_blanks_start(&row[at..]).strip_prefix('|')?;
    trim_blanks_start(after).is_empty().then_some(cells)
}

/// gherkin's `table_cell` at `at`: `|`, blanks, then (not at the line's end) characters up to a
/// `|`, a lone backslash or the end, with `\n`, `\|` and `\\` unescaped. The cell is trimmed of
/// blanks at both ends (`table_row`'s action); escapes never yield blanks, so trimming the
/// unescaped text is the same. Returns the cell and where it stopped.
fn parse_cell(row: &str, at: usize) -> Option<(String, usize)> {
    let rest = row[at..].strip_prefix('|')?;
    let content = trim_blanks_start(rest);
    if content.is_empty() {
        return None;
    }
    let start = row.len() - content.len();
    let mut at = start;
    // Filled only once an escape is met; most cells have none and are copied in one go.
    let mut unescaped = String::new();
    loop {
        let rest = &row[at..];
        // Cells are padded with blanks for alignment: memchr2 skips them faster than a loop.
        let plain = memchr::memchr2(b'|', b'\\', rest.as_bytes()).unwrap_or(rest.len());
        let escaped = match rest.as_bytes()[plain..] {
            [b'\\', b'n', ..] => '\n',
            [b'\\', b'|', ..] => '|',
            [b'\\', b'\\', ..] => '\\',
            _ => {
                let end = at + plain;
                if at == start {
                    return Some((trim_blanks(&row[start..end]).to_owned(), end));
                }
                unescaped.push_str(&rest[..plain]);
                return Some((trim_blanks(&unescaped).to_owned(), end));
            }
        };
        unescaped.push_str(&rest[..plain]);
        unescaped.push(escaped);
        at += plain + 2;
    }
}

/// `text` without blanks at its start; bytewise, faster than `trim_start_matches(BLANKS)`.
fn trim_blanks_start(text: &str) -> &str {
    let start = text.bytes().position(|b| b != b' ' && b != b'\t');
    &text[start.unwrap_or(text.len())..]
}

/// `text` without blanks at either end.
fn trim_blanks(text: &str) -> &str {
    let text = trim_blanks_start(text);
    let bytes = text.as_bytes();
    let mut end = bytes.len();
    // A cell's alignment padding, eight spaces at a time.
    while end >= 8 && bytes[end - 8..end] == *b"        " {
        end -= 8;
    }
    while end > 0 && matches!(bytes[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    &text[..end]
}

/// Where gherkin's `nl_eof` (after a table row) stops: past blanks, line breaks and comments.
fn skip_blanks_and_comments(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        match bytes[at..] {
            [b' ' | b'\t' | b'\n', ..] => at += 1,
            [b'\r', b'\n', ..] => at += 2,
            // A comment runs to its line's break, which ends it (a lone `\r` is in it).
            [b'#', ..] => at += text[at..].find('\n').map_or(bytes.len() - at, |n| n + 1),
            _ => return at,
        }
    }
}

/// Where a stretch of emptied rows ends in the text gherkin reads, and how many bytes were taken
/// out of the text up to there.
struct Removed {
    end: usize,
    total: usize,
}

/// `text` with each found table's row lines made empty (a bare `\n` each, so line numbers and
/// columns elsewhere stay), and where bytes went missing. gherkin skips an empty line at a
/// glance; a line of spaces costs it the square of its length (its `nl_eof` tries a comment at
/// every space), a comment line a rule call a character.
fn emptied(text: &str, found: &[FoundTable]) -> (String, Vec<Removed>) {
    let mut emptied = String::with_capacity(text.len());
    let mut removed = Vec::with_capacity(found.len());
    let mut copied = 0;
    let mut total = 0;
    for table in found {
        emptied.push_str(&text[copied..table.rows.start]);
        let lines = table.table.rows.len();
        emptied.extend(std::iter::repeat_n('\n', lines));
        total += table.rows.len() - lines;
        removed.push(Removed {
            end: emptied.len(),
            total,
        });
        copied = table.rows.end;
    }
    emptied.push_str(&text[copied..]);
    (emptied, removed)
}

/// An offset in the emptied text as an offset in the original. No span starts or ends inside
/// an emptied stretch: the step's `nl_eof` before it runs on past its end.
fn original_offset(removed: &[Removed], at: usize) -> usize {
    match removed.partition_point(|r| r.end <= at) {
        0 => at,
        before => at + removed[before - 1].total,
    }
}

/// Moves every span gherkin gave (in the emptied text) to where it is in the original text.
fn restore_spans(feature: &mut Feature, removed: &[Removed]) {
    if removed.is_empty() {
        return;
    }
    let fix = |span: &mut Span| {
        span.start = original_offset(removed, span.start);
        span.end = original_offset(removed, span.end);
    };
    let fix_steps = |steps: &mut Vec<Step>| {
        for step in steps {
            fix(&mut step.span);
            if let Some(table) = &mut step.table {
                fix(&mut table.span);
            }
        }
    };
    let fix_scenarios = |scenarios: &mut Vec<Scenario>| {
        for scenario in scenarios {
            fix(&mut scenario.span);
            fix_steps(&mut scenario.steps);
            for examples in &mut scenario.examples {
                fix(&mut examples.span);
                if let Some(table) = &mut examples.table {
                    fix(&mut table.span);
                }
            }
        }
    };
    let fix_background = |background: &mut Option<Background>| {
        if let Some(background) = background {
            fix(&mut background.span);
            fix_steps(&mut background.steps);
        }
    };
    fix(&mut feature.span);
    fix_background(&mut feature.background);
    fix_scenarios(&mut feature.scenarios);
    for rule in &mut feature.rules {
        fix(&mut rule.span);
        fix_background(&mut rule.background);
        fix_scenarios(&mut rule.scenarios);
    }
}

/// Puts each table on the step of the line above it (backgrounds, scenarios, rules'). `false`
/// when one finds no step, or its step already has a docstring or table: gherkin read the text
/// differently than the pass above assumed.
fn attach(feature: &mut Feature, found: Vec<FoundTable>) -> bool {
    let step_lines: Vec<usize> = found.iter().map(|t| t.step_line).collect();
    let mut tables: Vec<Option<Table>> = found.into_iter().map(|t| Some(t.table)).collect();
    let mut attached = 0;
    let mut steps: Vec<&mut Step> = Vec::new();
    if let Some(background) = &mut feature.background {
        steps.extend(&mut background.steps);
    }
    for scenario in &mut feature.scenarios {
        steps.extend(&mut scenario.steps);
    }
    for rule in &mut feature.rules {
        if let Some(background) = &mut rule.background {
            steps.extend(&mut background.steps);
        }
        for scenario in &mut rule.scenarios {
            steps.extend(&mut scenario.steps);
        }
    }
    for step in steps {
        let Ok(i) = step_lines.binary_search(&step.position.line) else {
            continue;
        };
        let Some(table) = tables[i].take() else {
            return false;
        };
        if step.table.is_some() || step.docstring.is_some() {
            return false;
        }
        step.table = Some(table);
        attached += 1;
    }
    attached == tables.len()
}

/// Whether `text` holds a docstring fence anywhere.
fn has_fence(text: &str) -> bool {
    let bytes = text.as_bytes();
    (0..bytes.len()).any(|i| matches!(bytes[i..], [b'"', b'"', b'"', ..] | [b'`', b'`', b'`', ..]))
}

/// `# language: xx` (any comment naming a language, to be safe).
fn is_language_directive(trimmed: &str) -> bool {
    trimmed
        .strip_prefix('#')
        .is_some_and(|rest| rest.trim_start_matches(BLANKS).starts_with("language"))
}

/// Whether a docstring opened with `fence` closes on this line: gherkin's `docstring` stops at
/// the first `fence`, but reads a `#` as a comment to the end of the line (its `nl` rule).
fn closes(line: &str, fence: &str) -> bool {
    let before_comment = line.split('#').next().unwrap_or_default();
    before_comment.contains(fence)
}

/// A line (trimmed at the start) with the tags before a keyword removed (`@a @b Scenario: x`).
fn without_tags(mut trimmed: &str) -> &str {
    while trimmed.starts_with('@') {
        let tag_end = trimmed.find(BLANKS).unwrap_or(trimmed.len());
        trimmed = trimmed[tag_end..].trim_start_matches(BLANKS);
    }
    trimmed
}

/// A step line (trimmed at the start): a step keyword, then some text.
fn is_step(trimmed: &str) -> bool {
    STEP_KEYWORDS.iter().any(|k| {
        trimmed
            .strip_prefix(k)
            .is_some_and(|text| !text.trim_start_matches(BLANKS).is_empty())
    })
}

#[cfg(test)]
pub mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    use super::*;

    /// The fast path's result equals gherkin's on `text` (errors compared by position and
    /// expected tokens); returns how it went.
    fn same_as_gherkin(text: &str) -> Route {
        compare(text).unwrap_or_else(|difference| panic!("{difference}"))
    }

    fn compare(text: &str) -> Result<Route, String> {
        let (fast, route) = parse_counted(text);
        let gherkin = Feature::parse(text, GherkinEnv::default());
        let same = match (&fast, &gherkin) {
            (Ok(fast), Ok(gherkin)) => fast == gherkin,
            (Err(fast), Err(gherkin)) => sorted(fast) == sorted(gherkin),
            _ => false,
        };
        if same {
            Ok(route)
        } else {
            Err(format!(
                "on {text:?}\nfast path ({route:?}): {fast:#?}\ngherkin: {gherkin:#?}"
            ))
        }
    }

    /// A parse error's message with its expected tokens sorted (gherkin keeps them in a
    /// `HashSet`, whose order differs from one parse to the next).
    pub fn sorted(error: &ParseError) -> String {
        let message = error.to_string();
        let (position, expected) = message.split_once(" {").expect("Error at l:c: {...}");
        let mut tokens: Vec<&str> = expected.trim_end_matches('}').split(", ").collect();
        tokens.sort_unstable();
        format!("{position} {tokens:?}")
    }

    pub fn feature_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                feature_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "feature") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_feature_file_of_the_repository_parses_as_gherkin_parses_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["features", "tests", "examples"] {
            feature_files(&root.join(dir), &mut files);
        }
        assert!(
            files.len() >= 90,
            "only {} feature files found",
            files.len()
        );
        let mut fast = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).expect("a readable feature file");
            let route = same_as_gherkin(&text);
            let expected = simple_tables(&as_gherkin_reads(&text)).len();
            if expected > 0 && gherkin_accepts(&text) {
                assert_eq!(
                    route,
                    Route::FastTables(expected),
                    "{} fell back to gherkin alone",
                    file.display()
                );
            }
            fast += usize::from(matches!(route, Route::FastTables(_)));
        }
        assert!(fast > 30, "only {fast} files took the fast path");
    }

    fn gherkin_accepts(text: &str) -> bool {
        Feature::parse(text, GherkinEnv::default()).is_ok()
    }

    /// The benchmark's scenario (`benches/suite.rs`, `SCENARIO`), `count` times in one file.
    pub fn generated_suite(count: usize) -> String {
        let bench = include_str!("../benches/suite.rs");
        let start = bench
            .find("const SCENARIO: &str = r##\"")
            .expect("SCENARIO in the bench");
        let scenario = &bench[start..];
        let scenario = &scenario[scenario.find('"').unwrap() + 1..scenario.find("\"##;").unwrap()];
        let mut text = "Feature: Generated 0\n".to_owned();
        for n in 0..count {
            text.push_str(&scenario.replace("{n}", &n.to_string()));
        }
        text
    }

    #[test]
    fn a_generated_suite_parses_as_gherkin_parses_it() {
        assert_eq!(same_as_gherkin(&generated_suite(20)), Route::FastTables(40));
    }

    #[test]
    fn escapes_backslashes_empty_cells_and_tabs() {
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      \
                    | a \\| b | c\\\\d | e\\nf |  |\t\tg\t|\n      \
                    | \\\\n | \\\\\\\\ |\t| x  y | \\|\\| |\n    Then done\n";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
        let feature = parse_feature(text).unwrap();
        let rows = &feature.scenarios[0].steps[0].table.as_ref().unwrap().rows;
        assert_eq!(rows[0], ["a | b", "c\\d", "e\nf", "", "g"]);
        assert_eq!(rows[1], ["\\n", "\\\\", "", "x  y", "||"]);
    }

    #[test]
    fn a_lone_backslash_is_left_to_gherkin() {
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      | a \\x |\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      | a \\|\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
    }

    #[test]
    fn crlf_line_endings() {
        let text = "Feature: f\r\n  Scenario: s\r\n    Given a table\r\n      | a | b |\r\n      \
                    | 1 | 2 |  \r\n\r\n    # a comment\r\n    Then done\r\n";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
    }

    #[test]
    fn blank_and_comment_lines_after_a_table_end_its_span() {
        let blank =
            "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n      | 1 |\n\n\n    \
                     When a step\n";
        assert_eq!(same_as_gherkin(blank), Route::FastTables(1));
        let comment = "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n    # note\n  \
                       \t# another\n    When a step\n  Scenario: t\n    Given x\n      | b |\n";
        assert_eq!(same_as_gherkin(comment), Route::FastTables(2));
    }

    #[test]
    fn a_table_split_by_a_blank_or_comment_line_is_left_to_gherkin() {
        let blank = "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n\n      | 1 |\n";
        assert_eq!(same_as_gherkin(blank), Route::GherkinAlone);
        let comment =
            "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n  # c\n      | 1 |\n";
        assert_eq!(same_as_gherkin(comment), Route::GherkinAlone);
    }

    #[test]
    fn a_row_with_a_trailing_comment_is_left_to_gherkin() {
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      | a | # note\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n      | 1 | # n\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
    }

    #[test]
    fn a_table_inside_a_docstring_is_text() {
        let text =
            "Feature: f\n  Scenario: s\n    Given a text\n      \"\"\"\n      Given x\n      \
                    | a |\n      \"\"\"\n    When y\n      | b |\n    Then z\n      ```\n      \
                    And w\n      | c |\n      ```\n";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
    }

    #[test]
    fn examples_tables_are_left_to_gherkin() {
        let text = "Feature: f\n  Scenario Outline: s\n    Given <a>\n      | <a> | b |\n    \
                    Examples:\n      | a |\n      | 1 |\n      | 2 |\n";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
        let text = "Feature: f\n  Scenario Outline: s\n    Given <a>\n    Examples:\n      \
                    | a |\n      | 1 |\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
    }

    #[test]
    fn background_and_rule_tables() {
        let text = "Feature: f\n  Background:\n    Given a table\n      | a |\n  Rule: r\n    \
                    Given not a step\n      | x |\n    Background:\n      Given b\n        | b |\n    \
                    @tag\n    Scenario: s\n      When c\n        | c | d |\n        | 1 | 2 |\n";
        assert_eq!(same_as_gherkin(text), Route::FastTables(3));
    }

    #[test]
    fn a_step_with_a_docstring_and_a_table_is_left_to_gherkin() {
        let text = "Feature: f\n  Scenario: s\n    Given a text\n      \"\"\"\n      t\n      \
                    \"\"\"\n      | a |\n    When x\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
    }

    #[test]
    fn a_docstring_after_a_table_is_left_to_gherkin() {
        let text =
            "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n      \"\"\"\n      \
                    t\n      \"\"\"\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
    }

    #[test]
    fn the_last_row_without_a_line_break() {
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      | a | b |\n      | 1 | 2 |";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
        let text = "Feature: f\r\n  Scenario: s\r\n    Given a table\r\n      | a |  ";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
    }

    #[test]
    fn a_ragged_table_is_left_to_gherkin() {
        let shorter =
            "Feature: f\n  Scenario: s\n    Given a table\n      | a | b |\n      | 1 |\n";
        assert_eq!(same_as_gherkin(shorter), Route::GherkinAlone);
        assert!(parse_feature(shorter).is_err());
        let longer = "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n      | 1 | 2 |\n";
        assert_eq!(same_as_gherkin(longer), Route::GherkinAlone);
    }

    #[test]
    fn a_file_in_another_language_is_left_to_gherkin() {
        let text =
            "# language: de\nFunktionalität: f\n  Szenario: s\n    Angenommen eine Tabelle\n      \
                    | a |\n    Und x\n      | b |\n";
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
        assert!(parse_feature(text).unwrap().scenarios[0].steps[0]
            .table
            .is_some());
    }

    #[test]
    fn odd_rows_match_gherkin() {
        for row in [
            "|",
            "| |",
            "||",
            "|a|b|",
            "| \u{e9}t\u{e9} | \u{1f600} |",
            "| a\rb |",
        ] {
            let text = format!("Feature: f\n  Scenario: s\n    Given a table\n      {row}\n");
            assert_eq!(same_as_gherkin(&text), Route::FastTables(1), "{row}");
        }
    }

    #[test]
    fn a_parse_error_is_gherkins() {
        let text = "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n  Nonsense\n    \
                    Given b\n      | b |\n  Scenario: t\n  oops: x\n    Given c\n";
        assert_eq!(simple_tables(text).len(), 2);
        assert_eq!(same_as_gherkin(text), Route::GherkinAlone);
        let unclosed =
            "Feature: f\n  Scenario: s\n    Given a table\n      | a |\n    When b\n    \
                        \"\"\"\n      text\n";
        assert_eq!(simple_tables(unclosed).len(), 1);
        assert_eq!(same_as_gherkin(unclosed), Route::GherkinAlone);
    }

    #[test]
    fn steps_under_a_feature_or_rule_description_are_text() {
        let text =
            "Feature: f\n  Given a description\n    | a |\n  Scenario: s\n    Given b\n      \
                    | b |\n";
        assert_eq!(same_as_gherkin(text), Route::FastTables(1));
    }

    /// Lines a generated file is made of besides steps with tables.
    const LINES: [&str; 21] = [
        "  Background:",
        "  Scenario: s",
        "  Scenario Outline: o",
        "  Examples:",
        "  Rule: r",
        "  @t Scenario: t",
        "    Given a <x>",
        "    And b",
        "    * c",
        "",
        "  \t",
        "    # note",
        "    \"\"\"",
        "    ```",
        "    text \"\"\" # x",
        "  description",
        "    | x |",
        "    | <x> |",
        "    |",
        "| y | z |",
        "  Scenario: \"\"\"",
    ];

    fn cell() -> impl Strategy<Value = String> {
        let plain = proptest::sample::select(vec![" ", "\t", "a", "<x>", "\u{e9}"]);
        let odd = proptest::sample::select(vec!["\\", "\\n", "\\|", "\\\\", "#", "\"\"\"", "\r"]);
        let piece = prop_oneof![12 => plain, 1 => odd];
        proptest::collection::vec(piece, 0..4).prop_map(|p| p.concat())
    }

    fn row() -> impl Strategy<Value = String> {
        let indent = proptest::sample::select(vec!["", "  ", "      ", "\t "]);
        let cells = prop_oneof![
            4 => proptest::collection::vec(cell(), 2..=2),
            1 => proptest::collection::vec(cell(), 0..4),
        ];
        let odd_end = proptest::sample::select(vec!["| ", "", "| # c", "|\t", "|\r"]);
        let end = prop_oneof![10 => Just("|"), 1 => odd_end];
        (indent, cells, end).prop_map(|(indent, cells, end)| {
            let cells: String = cells.iter().map(|c| format!("|{c}")).collect();
            format!("{indent}{cells}{end}")
        })
    }

    /// A step and the rows after it, or another line.
    fn lines() -> impl Strategy<Value = Vec<String>> {
        let step =
            proptest::sample::select(vec!["    Given t", "    And t <x>", "    * t", "  But t"]);
        prop_oneof![
            3 => (step, proptest::collection::vec(row(), 1..4)).prop_map(|(step, rows)| {
                std::iter::once(step.to_owned()).chain(rows).collect()
            }),
            1 => proptest::sample::select(LINES.to_vec()).prop_map(|l| vec![l.to_owned()]),
        ]
    }

    pub fn feature_text() -> impl Strategy<Value = String> {
        let body = proptest::collection::vec(lines(), 0..12);
        let breaks = proptest::collection::vec(proptest::bool::weighted(0.2), 40);
        (body, breaks, any::<bool>()).prop_map(|(body, crlf, final_break)| {
            let head = ["Feature: f".to_owned(), "  Scenario: s".to_owned()];
            let lines: Vec<String> = head.into_iter().chain(body.into_iter().flatten()).collect();
            joined(&lines, &crlf, final_break)
        })
    }

    /// `lines` as a file: each line break `\r\n` where `crlf` (cycled) says so, else `\n`;
    /// after the last line only with `final_break`.
    pub fn joined(lines: &[impl AsRef<str>], crlf: &[bool], final_break: bool) -> String {
        let mut text = String::new();
        for (i, line) in lines.iter().enumerate() {
            text.push_str(line.as_ref());
            if i + 1 < lines.len() || final_break {
                text.push_str(if crlf[i % crlf.len()] { "\r\n" } else { "\n" });
            }
        }
        text
    }

    /// Random files of steps with rows (odd cells, odd row ends, CRLF) among keywords, comments,
    /// fences and text: a fixed seed, so the same files every run.
    #[test]
    fn generated_files_parse_as_gherkin_parses_them() {
        use proptest::test_runner::{Config, RngSeed, TestRunner};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let config = Config {
            cases: 2000,
            rng_seed: RngSeed::Fixed(20),
            failure_persistence: None,
            ..Config::default()
        };
        let fast = AtomicUsize::new(0);
        TestRunner::new(config)
            .run(&feature_text(), |text| {
                let route = compare(&text).map_err(TestCaseError::fail)?;
                if let Route::FastTables(_) = route {
                    fast.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
            .unwrap();
        // About a quarter of the cases have tables the fast path reads (the rest are errors, or
        // left to gherkin).
        assert!(fast.into_inner() > 300);
    }
}
