//! Feature files read without gherkin's parser, for speed, with gherkin's exact result.
//!
//! Parsing the feature files is most of a run's start-up, and nearly all of it was inside
//! gherkin 0.16's PEG parser: its rules go one character at a time, and it builds a `String`
//! for every failed keyword guess and a `Vec` of the excluded keywords for every description
//! attempt. Callgrind (release build) puts one parse of a generated file of 20 benchmark
//! scenarios at 7.12M instructions with gherkin alone, 2.7M with an earlier pre-pass reading
//! the simple step tables (since removed), and 0.41M read here. Over a run of 1,000 generated scenarios the parse went
//! from 135M to 18.5M instructions (`features::parse` with its lint: 161M to 45M).
//!
//! [`parse_feature`] is a port of gherkin 0.16's grammar (`gherkin-0.16.0/src/parser.rs`) for
//! its English keywords, rule by rule and in the same order, so that the result is equal by
//! construction, quirks included: keywords keep their space (`"Given "`); `*` is always a Given
//! (the Given alternative is tried first, and every step list holds `* `); `And`/`But` take
//! the type of the step before them in the same block (Given if first); a description is the
//! lines up to one that starts with `@` or one of the block's excluded keywords (a feature's
//! ends at Background, Rule, Example or Scenario; a rule's at those but Rule; a background's,
//! scenario's or examples' at Example, Scenario or a step keyword, so a second `Background:`
//! is the first one's description), keeping trailing blanks and dropping blank and comment
//! lines; a comment line is skipped wherever a line break is
//! allowed; a docstring is everything between its fences (a `"""json` info string included,
//! a `#` hiding a fence to the end of its line) dedented as textwrap 0.16 does; longer table
//! rows are cut to the first row's width; spans and positions are byte offsets in the text
//! gherkin reads (with the line break it appends to a file without one). It works on bytes:
//! every token the grammar looks for is ASCII, and names are trimmed with the same `str`
//! methods gherkin uses. Table rows are read by [`parse_row`]. Covered: Feature
//! (Business Need, Ability), Background, Scenario/Example, Scenario Outline/Template with
//! Examples/Scenarios, Rule, tags, descriptions, docstrings, tables, comments.
//!
//! What it does not do is report errors: wherever the port's grammar fails (text gherkin
//! rejects), and for what it leaves out (a `# language:` line at the top, which switches to
//! another language's keywords; a table row shorter than the first, a fatal error in gherkin),
//! the text goes to gherkin, so error messages and positions
//! stay gherkin's. The tests compare every feature file of the repository, edge cases and
//! thousands of generated files with gherkin's own parse, and check which way each went.
//!
//! Pure: no I/O.

use std::borrow::Cow;

use cucumber::gherkin::{
    Background, Examples, Feature, GherkinEnv, LineCol, ParseError, Rule, Scenario, Span, Step,
    StepType, Table,
};

/// gherkin's English feature keywords, in its order (the first that prefixes the text wins).
const FEATURE: [&str; 3] = ["Feature", "Business Need", "Ability"];
const BACKGROUND: &str = "Background";
const RULE: &str = "Rule";
const SCENARIO: [&str; 2] = ["Example", "Scenario"];
const OUTLINE: [&str; 2] = ["Scenario Outline", "Scenario Template"];
const EXAMPLES: [&str; 2] = ["Examples", "Scenarios"];

/// The step alternatives in gherkin's order, each with its keywords and the type it gives
/// (`None`: the previous step's). Every list starts with `* `, so a `*` step is a Given.
const STEPS: [(&[&str], Option<StepType>); 5] = [
    (&["* ", "Given "], Some(StepType::Given)),
    (&["* ", "When "], Some(StepType::When)),
    (&["* ", "Then "], Some(StepType::Then)),
    (&["* ", "And "], None),
    (&["* ", "But "], None),
];

// The keywords that end a description (gherkin's `excluded_*` lists). Only whether one
// prefixes the line matters, so "Scenario" stands for "Scenario Outline" and "Scenario
// Template" too, and "* " is there once.
const FEATURE_DESCRIPTION_ENDS: [&str; 4] = ["Background", "Rule", "Example", "Scenario"];
const RULE_DESCRIPTION_ENDS: [&str; 3] = ["Background", "Example", "Scenario"];
const STEPS_DESCRIPTION_ENDS: [&str; 8] = [
    "Example", "Scenario", "* ", "Given ", "When ", "Then ", "And ", "But ",
];
const EXAMPLES_DESCRIPTION_ENDS: [&str; 9] = [
    "Example", "Scenario", "* ", "Given ", "When ", "Then ", "And ", "But ", "|",
];

/// Parses `text` as `Feature::parse(text, GherkinEnv::default())` does, with the same result:
/// read here when the port's grammar accepts it, by gherkin otherwise.
pub fn parse_feature(text: &str) -> Result<Feature, ParseError> {
    parse_counted(text).0
}

/// Which way a parse went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Read here, gherkin not called.
    Fast,
    /// Left to gherkin.
    Fallback,
}

fn parse_counted(text: &str) -> (Result<Feature, ParseError>, Route) {
    match read(text) {
        Some(feature) => (Ok(feature), Route::Fast),
        None => (Feature::parse(text, GherkinEnv::default()), Route::Fallback),
    }
}

/// The fast path: the feature, or `None` when gherkin is to parse the text.
fn read(text: &str) -> Option<Feature> {
    let text = as_gherkin_reads(text);
    Parser::new(&text).feature()
}

/// gherkin's grammar over `s` (which ends with a line break). Each rule takes the offset it
/// starts at and returns what it read with the offset after it; `None` is a rule failing, as
/// in the PEG (the caller backtracks).
struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    /// Where each line starts, for positions (gherkin's `line_offsets`: once the parse has got
    /// past a line break, gherkin has recorded it and every one before it).
    line_starts: Vec<usize>,
    /// The type an `And` or `But` step takes (gherkin's `last_step`, cleared after each block).
    last_step: Option<StepType>,
    /// A table gherkin rejects with a fatal error: the text goes to gherkin.
    doubt: bool,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Self {
        let mut line_starts = Vec::with_capacity(s.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', s.as_bytes()).map(|n| n + 1));
        Parser {
            s,
            b: s.as_bytes(),
            line_starts,
            last_step: None,
            doubt: false,
        }
    }

    /// gherkin's `env.position`: the 1-based line, and the 1-based column in bytes.
    fn position(&self, at: usize) -> LineCol {
        let line = self.line_starts.partition_point(|&start| start <= at);
        LineCol {
            line,
            col: at - self.line_starts[line - 1] + 1,
        }
    }

    fn at(&self, p: usize) -> Option<u8> {
        self.b.get(p).copied()
    }

    /// `_`: blanks.
    fn blanks(&self, mut p: usize) -> usize {
        while matches!(self.at(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        p
    }

    /// `nl0`: `\n` or `\r\n`.
    fn nl0(&self, p: usize) -> Option<usize> {
        match self.b.get(p..)? {
            [b'\n', ..] => Some(p + 1),
            [b'\r', b'\n', ..] => Some(p + 2),
            _ => None,
        }
    }

    /// Where `(!nl0() [_])*` stops: the line's break (a lone `\r` is content).
    fn line_end(&self, p: usize) -> usize {
        let n = memchr::memchr(b'\n', &self.b[p..]).map_or(self.b.len(), |n| p + n);
        if n > p && self.b[n - 1] == b'\r' {
            n - 1
        } else {
            n
        }
    }

    /// `not_nl`: the rest of the line, at least one character.
    fn not_nl(&self, p: usize) -> Option<(&'a str, usize)> {
        let end = self.line_end(p);
        (end > p).then(|| (&self.s[p..end], end))
    }

    /// `comment_no_nl`: blanks, `#` and the rest of the line.
    fn comment_no_nl(&self, p: usize) -> Option<usize> {
        let q = self.blanks(p);
        (self.at(q) == Some(b'#')).then(|| self.line_end(q + 1))
    }

    /// `nl`: an optional comment, then a line break.
    fn nl(&self, p: usize) -> Option<usize> {
        match self.comment_no_nl(p) {
            Some(q) => self.nl0(q),
            None => self.nl0(p),
        }
    }

    /// `nl()*`.
    fn nls(&self, mut p: usize) -> usize {
        while let Some(q) = self.nl(p) {
            p = q;
        }
        p
    }

    /// `__` (`([' ' | '\t'] / nl())*`): blanks, line breaks and comments. A run of blanks is
    /// skipped at once: `nl` fails at each of them unless a comment follows it.
    fn space(&self, mut p: usize) -> usize {
        loop {
            let q = self.blanks(p);
            match self.nl(q) {
                Some(r) => p = r,
                None => return q,
            }
        }
    }

    /// `nl_eof`: `(nl() / [' ' | '\t'])+ / eof()`, which is `__` taking something or at the end.
    fn nl_eof(&self, p: usize) -> Option<usize> {
        let q = self.space(p);
        (q > p || q == self.b.len()).then_some(q)
    }

    /// `comment()*`: comment lines, each with the blanks and comments after it.
    fn comments(&self, mut p: usize) -> usize {
        while let Some(q) = self.comment_no_nl(p) {
            match self.nl_eof(q) {
                Some(r) => p = r,
                None => break,
            }
        }
        p
    }

    /// `keyword(list)`: comment lines, then the first keyword of `list` that starts the text
    /// (gherkin compares its list in order with the next characters, whatever follows).
    fn keyword(&self, list: &[&'static str], p: usize) -> Option<Keyword> {
        let k = self.comments(p);
        let rest = &self.s[k..];
        list.iter()
            .find(|kw| rest.starts_with(**kw))
            .map(|kw| Keyword {
                word: kw,
                end: k + kw.len(),
            })
    }

    /// `keyword(list) ":"`.
    fn block_keyword(&self, list: &[&'static str], p: usize) -> Option<Keyword> {
        let keyword = self.keyword(list, p)?;
        (self.at(keyword.end) == Some(b':')).then_some(Keyword {
            word: keyword.word,
            end: keyword.end + 1,
        })
    }

    /// `_ n:not_nl()?` after a block keyword's colon: the name (untrimmed) and where it ends.
    fn name(&self, p: usize) -> (Option<&'a str>, usize) {
        let q = self.blanks(p);
        match self.not_nl(q) {
            Some((name, end)) => (Some(name), end),
            None => (None, q),
        }
    }

    /// `tag`: `@` and the characters up to whitespace or another `@`.
    fn tag(&self, p: usize) -> Option<(String, usize)> {
        if self.at(p) != Some(b'@') {
            return None;
        }
        let rest = &self.s[p + 1..];
        let len = rest
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || *c == '@')
            .map_or(rest.len(), |(n, _)| n);
        (len > 0).then(|| (rest[..len].to_owned(), p + 1 + len))
    }

    /// `tags`: `(tag() ** __) _ nl()*` (never fails).
    fn tags(&self, mut p: usize) -> (Vec<String>, usize) {
        let mut tags = Vec::new();
        if let Some((tag, q)) = self.tag(p) {
            tags.push(tag);
            p = q;
            while let Some((tag, q)) = self.tag(self.space(p)) {
                tags.push(tag);
                p = q;
            }
        }
        (tags, self.nls(self.blanks(p)))
    }

    /// `description(excluded)`: lines that start with none of `ends` nor `@`, joined with line
    /// breaks (`None` when that is blank), and the blanks, breaks and comments after them.
    fn description(&mut self, ends: &[&str], p: usize) -> (Option<String>, usize) {
        let (lines, p) = self.blank_separated(p, |me, at| me.description_line(ends, at));
        let text = lines.join("\n");
        let description = (!text.trim().is_empty()).then_some(text);
        (description, self.space(p))
    }

    /// `description_line`: `_ !"@" !keyword(excluded) _ n:not_nl() nl_eof()`; the line keeps
    /// its trailing blanks.
    fn description_line(&self, ends: &[&str], p: usize) -> Option<(&'a str, usize)> {
        let q = self.blanks(p);
        if self.at(q) == Some(b'@') {
            return None;
        }
        let k = self.comments(q);
        if ends.iter().any(|end| self.s[k..].starts_with(end)) {
            return None;
        }
        let (line, end) = self.not_nl(q)?;
        Some((line, self.nl_eof(end)?))
    }

    /// `docstring`: from a fence to the next one outside a comment (a `#` starts a comment to
    /// the end of the line, even here), dedented.
    fn docstring(&self, p: usize) -> Option<(String, usize)> {
        let fence: &[u8] = match self.b.get(p..p + 3)? {
            b"\"\"\"" => b"\"\"\"",
            b"```" => b"```",
            _ => return None,
        };
        let start = p + 3;
        let mut c = start;
        // `(!fence (nl() / [_]))*`, over bytes: every byte tested is ASCII, which a UTF-8
        // continuation byte never is.
        loop {
            if self.b.get(c..c + 3)? == fence {
                break;
            }
            let q = self.blanks(c);
            if self.at(q) == Some(b'#') {
                c = self.nl0(self.line_end(q + 1))?;
            } else if q > c {
                // Blanks, none a fence nor before a comment.
                c = q;
            } else if let Some(r) = self.nl0(c) {
                c = r;
            } else {
                c += 1;
            }
        }
        let end = self.nl_eof(c + 3)?;
        Some((dedent(&self.s[start..c]), end))
    }

    /// `table`: rows cut to the first one's width. A shorter row is `doubt`: gherkin's fatal
    /// error, which fails the whole parse whatever becomes of this rule.
    fn table(&mut self, p: usize) -> Option<(Table, usize)> {
        let (first, mut q) = self.table_row(self.blanks(p))?;
        let mut rows = vec![first];
        while let Some((row, r)) = self.table_row(self.blanks(q)) {
            rows.push(row);
            q = r;
        }
        // `table0` cuts every row to the first one's width; `table` then rejects a shorter row.
        let width = rows[0].len();
        if rows.iter().any(|row| row.len() < width) {
            self.doubt = true;
            return None;
        }
        for row in &mut rows {
            row.truncate(width);
        }
        let table = Table {
            rows,
            span: Span { start: p, end: q },
            position: self.position(p),
        };
        Some((table, q))
    }

    /// `table_row`, read by [`parse_row`] (a row starts at its `|`: the `_` before it
    /// took the blanks), then `nl_eof`.
    fn table_row(&self, p: usize) -> Option<(Vec<String>, usize)> {
        if self.at(p) != Some(b'|') {
            return None;
        }
        let end = self.line_end(p);
        let cells = parse_row(&self.s[p..end])?;
        Some((cells, self.nl_eof(end)?))
    }

    /// `step`: the first alternative whose keyword starts the text. Only the Given one has
    /// `comment()*` before its start; the others' comments are inside `keyword`, so in span.
    fn step(&mut self, p: usize) -> Option<(Step, usize)> {
        let k = self.comments(p);
        let rest = &self.s[k..];
        let (keyword, ty, start) = STEPS.iter().enumerate().find_map(|(n, (list, ty))| {
            let keyword = list.iter().find(|kw| rest.starts_with(**kw))?;
            Some((*keyword, *ty, if n == 0 { k } else { p }))
        })?;
        // `_ n:not_nl() pb _ nl_eof() _`: the alternatives after a failing one here would
        // fail the same way (their keyword is the same `* `, or does not match).
        let (value, end) = self.not_nl(self.blanks(k + keyword.len()))?;
        let mut q = self.blanks(self.nl_eof(end)?);
        let docstring = self.docstring(q).map(|(docstring, r)| {
            q = r;
            docstring
        });
        let table = self.table(q).map(|(table, r)| {
            q = r;
            table
        });
        let ty = ty.unwrap_or(self.last_step.unwrap_or(StepType::Given));
        self.last_step = Some(ty);
        let step = Step {
            keyword: keyword.to_owned(),
            ty,
            value: value.trim_end().to_owned(),
            docstring,
            table,
            span: Span { start, end },
            position: self.position(start),
        };
        Some((step, q))
    }

    /// `steps`: `step() ** _`, after which `And` and `But` start again from Given.
    fn steps(&mut self, p: usize) -> (Vec<Step>, usize) {
        let read = self.blank_separated(p, Self::step);
        self.last_step = None;
        read
    }

    /// `item() ** _`: items separated by blanks (none when the first fails), and where the
    /// last one ended.
    fn blank_separated<T>(
        &mut self,
        mut p: usize,
        mut item: impl FnMut(&mut Self, usize) -> Option<(T, usize)>,
    ) -> (Vec<T>, usize) {
        let mut items = Vec::new();
        let mut at = p;
        while let Some((one, q)) = item(self, at) {
            items.push(one);
            p = q;
            at = self.blanks(p);
        }
        (items, p)
    }

    /// `background`: `comment()* _ Background: name`, description, steps.
    fn background(&mut self, p: usize) -> Option<(Background, usize)> {
        let start = self.blanks(self.comments(p));
        let keyword = self.block_keyword(&[BACKGROUND], start)?;
        let (name, q) = self.name(keyword.end);
        let q = self.nl_eof(q)?;
        let (description, q) = self.description(&STEPS_DESCRIPTION_ENDS, q);
        let (steps, end) = self.steps(q);
        let background = Background {
            keyword: keyword.word.to_owned(),
            name: name.unwrap_or_default().trim_end().to_owned(),
            description,
            steps,
            span: Span { start, end },
            position: self.position(start),
        };
        Some((background, end))
    }

    /// `examples`: `comment()* _ tags _ Examples: name`, description, a table.
    fn examples(&mut self, p: usize) -> Option<(Examples, usize)> {
        let (tags, q) = self.tags(self.blanks(self.comments(p)));
        let start = self.blanks(q);
        let keyword = self.block_keyword(&EXAMPLES, start)?;
        let (name, q) = self.name(keyword.end);
        let q = self.nl_eof(q)?;
        let (description, mut end) = self.description(&EXAMPLES_DESCRIPTION_ENDS, q);
        let table = self.table(end).map(|(table, r)| {
            end = r;
            table
        });
        let examples = Examples {
            keyword: keyword.word.to_owned(),
            name: name.map(|name| name.trim_end().to_owned()),
            description,
            table,
            tags,
            span: Span { start, end },
            position: self.position(start),
        };
        Some((examples, end))
    }

    /// `scenario`: `comment()* _ tags _ Scenario: name` (or an outline's keyword), description,
    /// steps, examples.
    fn scenario(&mut self, p: usize) -> Option<(Scenario, usize)> {
        let (tags, q) = self.tags(self.blanks(self.comments(p)));
        let start = self.blanks(q);
        let keyword = self
            .block_keyword(&SCENARIO, start)
            .or_else(|| self.block_keyword(&OUTLINE, start))?;
        let (name, q) = self.name(keyword.end);
        let q = self.nl_eof(self.blanks(q))?;
        let (description, q) = self.description(&STEPS_DESCRIPTION_ENDS, q);
        let (steps, mut end) = self.steps(q);
        let mut examples = Vec::new();
        while let Some((one, r)) = self.examples(end) {
            examples.push(one);
            end = r;
        }
        let scenario = Scenario {
            keyword: keyword.word.to_owned(),
            name: name.unwrap_or_default().trim_end().to_owned(),
            description,
            steps,
            examples,
            tags,
            span: Span { start, end },
            position: self.position(start),
        };
        Some((scenario, end))
    }

    /// `scenarios`: `_ (scenario() ** _)?`.
    fn scenarios(&mut self, p: usize) -> (Vec<Scenario>, usize) {
        let p = self.blanks(p);
        self.blank_separated(p, Self::scenario)
    }

    /// `rule_`: `_ tags _ Rule: name`, description, a background, scenarios.
    fn rule(&mut self, p: usize) -> Option<(Rule, usize)> {
        let (tags, q) = self.tags(self.blanks(p));
        let start = self.blanks(q);
        let keyword = self.block_keyword(&[RULE], start)?;
        let (name, q) = self.name(keyword.end);
        let q = self.nl_eof(self.blanks(q))?;
        let (description, mut q) = self.description(&RULE_DESCRIPTION_ENDS, q);
        let background = self.background(q).map(|(background, r)| {
            q = r;
            background
        });
        let (scenarios, q) = self.scenarios(self.nls(q));
        let end = self.nls(q);
        let rule = Rule {
            keyword: keyword.word.to_owned(),
            name: name.unwrap_or_default().trim_end().to_owned(),
            description,
            background,
            scenarios,
            tags,
            span: Span { start, end },
            position: self.position(start),
        };
        Some((rule, end))
    }

    /// `rules`: `_ (rule_() ** _)?`.
    fn rules(&mut self, p: usize) -> (Vec<Rule>, usize) {
        let p = self.blanks(p);
        self.blank_separated(p, Self::rule)
    }

    /// `feature`, which must take the whole text: `_ nl()* tags Feature: name`, description,
    /// a background, scenarios, rules. `None` where gherkin's grammar fails, and for a
    /// `# language:` line in front (other keywords).
    fn feature(mut self) -> Option<Feature> {
        let p = self.blanks(0);
        if self.names_a_language(p) {
            return None;
        }
        let (tags, start) = self.tags(self.nls(p));
        let keyword = self.block_keyword(&FEATURE, start)?;
        let (name, q) = self.name(keyword.end);
        let q = self.nl_eof(self.blanks(q))?;
        let (description, mut q) = self.description(&FEATURE_DESCRIPTION_ENDS, q);
        let background = self.background(q).map(|(background, r)| {
            q = r;
            background
        });
        let (scenarios, q) = self.scenarios(self.nls(q));
        let (rules, end) = self.rules(self.nls(q));
        if self.nls(end) != self.b.len() || self.doubt {
            return None;
        }
        Some(Feature {
            keyword: keyword.word.to_owned(),
            name: name.unwrap_or_default().trim_end().to_owned(),
            description,
            background,
            scenarios,
            rules,
            tags,
            span: Span { start, end },
            position: self.position(start),
            path: None,
        })
    }

    /// Whether gherkin's `language_directive` (`([' ' | '\t'] / nl_no_comment())* "#" _
    /// "language"`, then `_ ":"` and a language) could match at `p`, the file's start.
    fn names_a_language(&self, mut p: usize) -> bool {
        loop {
            p = self.blanks(p);
            match self.nl0(p) {
                Some(q) => p = q,
                None => break,
            }
        }
        self.at(p) == Some(b'#') && self.s[self.blanks(p + 1)..].starts_with("language")
    }
}

/// A keyword found, and where it (or its colon) ends.
struct Keyword {
    word: &'static str,
    end: usize,
}

/// textwrap 0.16's `dedent`, which gherkin applies to a docstring: the longest whitespace
/// prefix common to the lines with something else on them is removed; lines of whitespace
/// only become empty; lines are split as `str::lines` does (so `\r\n` becomes `\n`), and the
/// text ends with a line break only if it did.
fn dedent(s: &str) -> String {
    let mut prefix = "";
    let mut lines = s.lines();
    for line in &mut lines {
        let indent = line.len() - line.trim_start().len();
        if indent < line.len() {
            prefix = &line[..indent];
            break;
        }
    }
    for line in lines {
        // Where the line and the prefix first differ, if the line has something there.
        let differs = line
            .char_indices()
            .zip(prefix.chars())
            .find(|((_, a), b)| a != b)
            .map_or(line.len(), |((n, _), _)| n);
        if differs < line.len() && differs < prefix.len() {
            prefix = &line[..differs];
        }
    }
    let mut result = String::with_capacity(s.len());
    for line in s.lines() {
        if line.starts_with(prefix) && line.chars().any(|c| !c.is_whitespace()) {
            result.push_str(&line[prefix.len()..]);
        }
        result.push('\n');
    }
    if result.ends_with('\n') && !s.ends_with('\n') {
        result.pop();
    }
    result
}

/// gherkin appends a line break to text without one; offsets are counted in what it reads.
fn as_gherkin_reads(text: &str) -> Cow<'_, str> {
    if text.ends_with('\n') {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(format!("{text}\n"))
    }
}

/// A row as gherkin's `table_row` reads it: `row` runs from the first `|` to the end of the line
/// (no line break). `None` where that rule would fail (a lone backslash, no closing `|`,
/// something after it).
fn parse_row(row: &str) -> Option<Vec<String>> {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    use super::*;

    /// A parse error's message with its expected tokens sorted (gherkin keeps them in a
    /// `HashSet`, whose order differs from one parse to the next).
    fn sorted(error: &ParseError) -> String {
        let message = error.to_string();
        let (position, expected) = message.split_once(" {").expect("Error at l:c: {...}");
        let mut tokens: Vec<&str> = expected.trim_end_matches('}').split(", ").collect();
        tokens.sort_unstable();
        format!("{position} {tokens:?}")
    }

    fn feature_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
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

    /// The benchmark's scenario (`benches/suite.rs`, `SCENARIO`), `count` times in one file.
    fn generated_suite(count: usize) -> String {
        let bench = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/suite.rs"));
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

    /// Lines a generated file is made of besides steps with tables.
    const TABLE_LINES: [&str; 21] = [
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
            1 => proptest::sample::select(TABLE_LINES.to_vec()).prop_map(|l| vec![l.to_owned()]),
        ]
    }

    fn files_with_odd_tables() -> impl Strategy<Value = String> {
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
    fn joined(lines: &[impl AsRef<str>], crlf: &[bool], final_break: bool) -> String {
        let mut text = String::new();
        for (i, line) in lines.iter().enumerate() {
            text.push_str(line.as_ref());
            if i + 1 < lines.len() || final_break {
                text.push_str(if crlf[i % crlf.len()] { "\r\n" } else { "\n" });
            }
        }
        text
    }

    /// [`parse_feature`]'s result equals gherkin's on `text`, and the fast path did not accept
    /// what gherkin rejects; returns the way it went.
    fn same_as_gherkin(text: &str) -> Route {
        compare(text).unwrap_or_else(|difference| panic!("{difference}"))
    }

    fn compare(text: &str) -> Result<Route, String> {
        let (parsed, route) = parse_counted(text);
        let gherkin = Feature::parse(text, GherkinEnv::default());
        let same = match (&parsed, &gherkin) {
            (Ok(parsed), Ok(gherkin)) => parsed == gherkin,
            // Errors are gherkin's own (compared by position and expected tokens).
            (Err(parsed), Err(gherkin)) => {
                route == Route::Fallback && sorted(parsed) == sorted(gherkin)
            }
            _ => false,
        };
        if same {
            Ok(route)
        } else {
            Err(format!(
                "on {text:?}\nparsed ({route:?}): {parsed:#?}\ngherkin: {gherkin:#?}"
            ))
        }
    }

    /// Read here, and equal to gherkin's parse.
    #[track_caller]
    fn fast(text: &str) -> Feature {
        assert_eq!(same_as_gherkin(text), Route::Fast, "{text:?}");
        parse_feature(text).unwrap()
    }

    /// Left to gherkin, with gherkin's result.
    #[track_caller]
    fn fallback(text: &str) {
        assert_eq!(same_as_gherkin(text), Route::Fallback, "{text:?}");
    }

    #[test]
    fn every_feature_file_of_the_repository_parses_as_gherkin_parses_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["features", "tests", "examples"] {
            feature_files(&root.join(dir), &mut files);
        }
        assert!(files.len() >= 90, "only {} feature files", files.len());
        let (mut accepted, mut read_here) = (0, 0);
        for file in &files {
            let text = std::fs::read_to_string(file).expect("a readable feature file");
            let route = compare(&text)
                .unwrap_or_else(|difference| panic!("{}: {difference}", file.display()));
            if Feature::parse(&text, GherkinEnv::default()).is_ok() {
                accepted += 1;
                assert_eq!(route, Route::Fast, "{} was left to gherkin", file.display());
            }
            read_here += usize::from(route == Route::Fast);
        }
        // 97 files when this was written: the 94 gherkin accepts read here, 3 errors.
        println!(
            "{} feature files: {accepted} accepted by gherkin, {read_here} read here",
            files.len()
        );
        assert_eq!(read_here, accepted);
        assert!(read_here >= 90, "only {read_here} files read here");
    }

    #[test]
    fn a_generated_suite_is_read_here() {
        let feature = fast(&generated_suite(20));
        assert_eq!(feature.scenarios.len(), 20);
        assert_eq!(
            feature.scenarios[19].steps[3]
                .table
                .as_ref()
                .unwrap()
                .rows
                .len(),
            4
        );
    }

    /// For callgrind, what one parse of a generated file of 20 scenarios costs:
    /// `CALLSPEC_PARSE=gherkin_alone|fast valgrind --tool=callgrind
    /// --toggle-collect='*parse_once*' callspec-<hash> gherkin_fast::tests::parse_cost
    /// --include-ignored`, on a test binary built with `--release`.
    #[test]
    #[ignore = "a probe for callgrind, not a check"]
    fn parse_cost() {
        let way = std::env::var("CALLSPEC_PARSE").unwrap_or_default();
        assert!(parse_once(&generated_suite(20), &way));
    }

    #[inline(never)]
    fn parse_once(text: &str, way: &str) -> bool {
        let parsed = match way {
            "gherkin_alone" => Feature::parse(text, GherkinEnv::default()),
            _ => parse_feature(text),
        };
        parsed.is_ok()
    }

    #[test]
    fn the_smallest_files() {
        fallback("");
        fallback("\n");
        fallback("# only a comment\n");
        fallback("Feature");
        fast("Feature:");
        fast("Feature:\n");
        fast("Feature: f");
        fast("  Feature: f  \n\n\n");
        fast("\n\n# c\n  \t\n   # c\nFeature: f\n# after\n\n");
        fast("Business Need: b\n");
        fast("Ability: a\n");
        // Not a keyword that ends a feature's description.
        let feature = fast("Feature: f\nFeature: g\n");
        assert_eq!(feature.description.as_deref(), Some("Feature: g"));
    }

    #[test]
    fn tags_on_several_lines() {
        let feature = fast(
            "@a @b\n@c\t@d # note\n\n# between\n@e@f\nFeature: f\n\n  @s1   @s2\n  # c\n\n  \
             @s3\n  Scenario: s\n    Given x\n  @r\n  Rule: r\n    @o\n    Scenario Outline: o\n      \
             Given <x>\n      @ex @ey\n      Examples: e\n        | x |\n        | 1 |\n",
        );
        assert_eq!(feature.tags, ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(feature.scenarios[0].tags, ["s1", "s2", "s3"]);
        assert_eq!(feature.rules[0].scenarios[0].examples[0].tags, ["ex", "ey"]);
        fast("@\u{e9}t\u{e9} @\u{1f600}\nFeature: f\n  @a:b @c=\"d\"\n  Scenario: s\n");
        // An indented Feature after tags is an error in gherkin's grammar.
        fallback("@a\n  Feature: f\n");
        fallback("@\nFeature: f\n");
        // Unicode whitespace ends a tag, but only blanks and line breaks are skipped after it.
        fallback("@a\u{a0}@b\nFeature: f\n");
        fallback("@a\u{a0}\nFeature: f\n");
        fallback("Feature: f\n  @a\n");
    }

    #[test]
    fn comments_and_blank_lines_between_steps() {
        let feature = fast(
            "Feature: f\n  # c\n  Scenario: s # not a comment\n  # c\n\n    Given a\n    # c\n\n\
             \t# c\n    When b\n\n    Then c # not a comment either\n  # the end\n",
        );
        let steps = &feature.scenarios[0].steps;
        assert_eq!(feature.scenarios[0].name, "s # not a comment");
        assert_eq!(steps[2].value, "c # not a comment either");
    }

    #[test]
    fn trailing_spaces_crlf_and_no_final_line_break() {
        let text = "@t  \nFeature: f  \n  described  \n  Background: b \t\n    Given a  \n  \
                    Scenario: s  \n    When b\t\n      | x |  \n";
        let feature = fast(text);
        assert_eq!(feature.description.as_deref(), Some("described  "));
        assert_eq!(feature.scenarios[0].name, "s");
        fast(&text.replace('\n', "\r\n"));
        fast(text.trim_end());
        fast(text.trim_end_matches('\n'));
        fast(&text.replace('\n', "\r\n")[..text.len() + 6]);
        // A lone carriage return is text.
        let feature = fast("Feature: f\r\r\n  Scenario: s\r\r\n    Given a\r\r\n      | a\r |\r\n");
        assert_eq!(
            feature.scenarios[0].steps[0].table.as_ref().unwrap().rows[0],
            ["a\r"]
        );
        fallback("Feature: f\n  Scenario: s\n    Given a\n      | a |\r\r\n");
        fast("Feature: f\n  Scenario: s\n    Given a\r");
    }

    #[test]
    fn descriptions() {
        let feature = fast(
            "Feature: f\n  line one  \n\n\n  line two\n  Given is text here\n  # a comment\n  \
             no Rules\n  Background:\n  about the background\n\n  more\n    Given a\n  \
             Scenario: s\n    what it does\n\n    # c\n    why\n    Given b\n  \
             Scenario Outline: o\n    outline text\n    Given <x>\n    Examples: some\n      \
             examples text\n      | x |\n      | 1 |\n  Rule: r\n    rule text\n    Given text\n\
             \n    Scenario: t\n",
        );
        // Blank and comment lines are left out, trailing blanks kept.
        assert_eq!(
            feature.description.as_deref(),
            Some("line one  \nline two\nGiven is text here\nno Rules")
        );
        assert_eq!(
            feature.scenarios[0].description.as_deref(),
            Some("what it does\nwhy")
        );
        assert_eq!(
            feature.scenarios[1].examples[0].description.as_deref(),
            Some("examples text")
        );
        assert_eq!(
            feature.rules[0].description.as_deref(),
            Some("rule text\nGiven text")
        );
        // Blank by Unicode's measure: no description.
        assert_eq!(
            fast("Feature: f\n  \u{a0}\n  Scenario: s\n").description,
            None
        );
        // A description line starting with a keyword ends the description.
        fallback("Feature: f\n  Rules are described here\n  Scenario: s\n");
        fallback("Feature: f\n  Scenario: s\n    Examples are good\n");
        fast("Feature: f\n  Scenario: s\n    Exam ples are good\n");
    }

    #[test]
    fn steps_and_their_types() {
        let feature = fast(
            "Feature: f\n  Background:\n    And first\n    * star\n    When w\n    And a\n    \
             * star\n    But b\n  Scenario: s\n    But first\n    Then t\n    And a\n    \
             Given g\n    But b\n  Scenario: no steps\n  Scenario: no steps either\n\n",
        );
        let types = |steps: &[Step]| steps.iter().map(|s| s.ty).collect::<Vec<_>>();
        use StepType::{Given, Then, When};
        let background = feature.background.as_ref().unwrap();
        assert_eq!(
            types(&background.steps),
            [Given, Given, When, When, Given, Given]
        );
        assert_eq!(
            types(&feature.scenarios[0].steps),
            [Given, Then, Then, Given, Given]
        );
        assert!(feature.scenarios[1].steps.is_empty());
        assert_eq!(background.steps[1].keyword, "* ");
        fast("Feature: f\n  Scenario: s\n\tGiven\t\tx\t\n\t\tWhen  y \n");
        fast("Feature: f\n  Scenario: s\n    Given \u{e9}t\u{e9} \u{1f600}\n");
    }

    #[test]
    fn a_step_keyword_without_text() {
        // As the first line, a description; after a step, an error.
        fast("Feature: f\n  Scenario: s\n    Given\n    When x\n");
        fallback("Feature: f\n  Scenario: s\n    When x\n    Given\n");
        fallback("Feature: f\n  Scenario: s\n    When x\n    Given \n");
        fallback("Feature: f\n  Scenario: s\n    When x\n    *\n");
        fallback("Feature: f\n  Scenario: s\n    When x\n    Givenx\n");
    }

    #[test]
    fn docstrings() {
        let feature = fast(
            "Feature: f\n  Scenario: s\n    Given a\n      \"\"\"json\n        {\n          \
             \"a\": 1\n        }\n\n      \"\"\"\n    When b\n      ```\n\tx # \"\"\" ```\n      \
             ```   \n\n    Then c\n      \"\"\"\n      \"\"\"\n    And d\n      \"\"\"\n      \
             t\n      \"\"\"\n      | a |\n",
        );
        let steps = &feature.scenarios[0].steps;
        assert!(steps[0].docstring.as_ref().unwrap().starts_with("json\n"));
        assert_eq!(steps[2].docstring.as_deref(), Some("\n"));
        assert!(steps[3].table.is_some());
        for docstring in [
            "      \"\"\"\n    less\n      more\n\t tab\n      \"\"\"",
            "      \"\"\" text on the fence line\n      x\n      \"\"\"",
            "      ```yaml\r\n      a: 1\r\n      ```\r",
            "      \"\"\"\n      \u{a0}nbsp\n      \u{e9}\n   \"\"\"",
            "      \"\"\"\n      ```\n      \"\"\"",
            "      \"\"\"\n      x\"\"\"",
            "      \"\"\"\n      #\"\"\"\n      \"\"\"",
            "      \"\"\"\n      \"\"\" \n",
            "      \"\"\"\n      \u{3000}a\n      \u{3000}\u{3000}b\n      \"\"\"",
            "      \"\"\"\n\t  a\n  \tb\n\n      \"\"\"",
        ] {
            fast(&format!(
                "Feature: f\n  Scenario: s\n    Given a\n{docstring}\n"
            ));
        }
        // Unclosed, or text right after the closing fence.
        fallback("Feature: f\n  Scenario: s\n    Given a\n      \"\"\"\n      x\n");
        fallback("Feature: f\n  Scenario: s\n    Given a\n      \"\"\"\n      \"\"\"x\n");
        fallback("Feature: f\n  Scenario: s\n    Given a\n      \"\"\"\n  # \"\"\"\n");
    }

    #[test]
    fn tables_everywhere() {
        let feature = fast(
            "Feature: f\n  Background:\n    Given a\n      | a | b |\n\n      # c\n      \
             | 1 | 2 |\n  Scenario Outline: o\n    Given <a>\n      |<a>|\n    Examples:\n      \
             | a |\n      | \\| |\n    @t\n    Scenarios: more\n      | a |\n  Rule: r\n    \
             Scenario: s\n      Given x\n        | \\\\n | \\n |\n",
        );
        assert_eq!(
            feature.background.as_ref().unwrap().steps[0]
                .table
                .as_ref()
                .unwrap()
                .rows
                .len(),
            2
        );
        assert_eq!(feature.scenarios[0].examples.len(), 2);
        fast("Feature: f\n  Scenario: s\n    Examples:\n    Examples:\n      |\n");
        // Longer rows are cut to the first one's width; a shorter one is a fatal error.
        let feature =
            fast("Feature: f\n  Scenario: s\n    Given a\n      | a |\n      | 1 | 2 |\n");
        assert_eq!(
            feature.scenarios[0].steps[0].table.as_ref().unwrap().rows[1],
            ["1"]
        );
        fallback("Feature: f\n  Scenario: s\n    Given a\n      | a | b |\n      | 1 |\n");
        fallback("Feature: f\n  Scenario: s\n    Given a\n      | a \\x |\n");
        fallback("Feature: f\n  Scenario: s\n    Given a\n      | a | # c\n");
    }

    #[test]
    fn outlines_rules_and_backgrounds() {
        let feature = fast(
            "Feature: f\n  Background: b\n    described\n    Given a\n\n  Scenario Template: t\n    \
             Given <x>\n    Examples:\n      | x |\n  Example: e\n    Given y\n\n  @r1\n  \
             Rule: one\n    the rule\n    Background:\n      Given z\n    Scenario: s\n      \
             Given w\n  Rule: two\n  Rule: three\n    Example: e\n",
        );
        // "Rule" does not end a rule's description.
        assert_eq!(feature.rules.len(), 2);
        assert_eq!(feature.rules[0].description.as_deref(), Some("the rule"));
        assert_eq!(feature.rules[1].description.as_deref(), Some("Rule: three"));
        fast("Feature: f\n  Rule:\n  Rule:\n");
        // "Background" does not end a background's description.
        let feature = fast("Feature: f\n  Background:\n  Background:\n");
        assert_eq!(
            feature.background.unwrap().description.as_deref(),
            Some("Background:")
        );
        // A Background after a rule or after scenarios.
        fallback("Feature: f\n  Rule: r\n    Scenario: s\n      Given x\n  Background:\n");
        // Without a step, it is the scenario's description.
        fast("Feature: f\n  Rule: r\n    Scenario: s\n  Background:\n");
        fallback("Feature: f\n  Scenario: s\n    Given x\n  Background:\n");
        // No blank needed after the colon.
        assert_eq!(
            fast("Feature: f\n  Scenario Outline:x\n").scenarios[0].name,
            "x"
        );
    }

    #[test]
    fn unicode_and_tabs() {
        let feature = fast(
            "Feature: caf\u{e9} \u{1f600}\n\t\u{3000}d\u{e9}crit\n\tScenario:\t\u{e9}t\u{e9}\t\n\t\t\
             Given\t\u{e9}\t| x |\n\t\t\t|\t\u{e9}\t|\u{1f600}|\n",
        );
        assert_eq!(feature.scenarios[0].name, "\u{e9}t\u{e9}");
        fast("Feature: f\n  Scenario: s\u{2003}\n    Given x\u{a0}\n");
    }

    #[test]
    fn a_language_line_is_left_to_gherkin() {
        fallback("# language: de\nFunktionalit\u{e4}t: f\n  Szenario: s\n    Angenommen x\n");
        fallback("# language: en\nFeature: f\n");
        fallback("\n  #language:en\nFeature: f\n");
        fallback("# language: xx\nFeature: f\n");
        // Elsewhere it is a comment.
        fast("Feature: f\n# language: de\n");
    }

    #[test]
    fn parse_errors_are_gherkins() {
        for text in [
            "Feature: f\n  Scenario: s\n    Given a\n  Nonsense\n",
            "Feature: f\n  Scenario s\n",
            "Feature: f\n  Examples:\n",
            "Feature: f\n  Scenario: s\n    Given a\n      | a\n",
            "Feature: f\n  Scenario: s\n    Given a\n      \"\"\"\n",
            "Scenario: s\n",
            "@a\n",
        ] {
            fallback(text);
        }
    }

    /// Lines a generated file is made of: realistic ones, and odd ones at the edges of the
    /// grammar.
    const LINES: &[&str] = &[
        "Feature: f",
        "Feature:",
        "Ability: a",
        "  Background:",
        "  Background: b ",
        "  Scenario: s",
        "  Scenario:",
        "  Example: e",
        "  Scenario Outline: o",
        "  Scenario Template:t",
        "  Examples:",
        "  Examples: named  ",
        "  Scenarios:",
        "  Rule: r",
        "Rule:",
        "  @t",
        "@a @b",
        "  @x # c",
        "  @u\u{a0}v",
        "    Given \u{2003}x\u{a0}",
        "  \u{3000}indented text",
        "@a@b",
        "@",
        "    Given a",
        "    When b",
        "    Then c",
        "    And d",
        "    But e",
        "    * f",
        "    Given",
        "    Given ",
        "\tWhen\tx",
        "    Given <x>",
        "    And t \u{e9}",
        "# c",
        "    # note",
        "#",
        "",
        "  ",
        "\t",
        "  some text",
        "  text with trailing  ",
        "Rules are",
        "  Examples of",
        "  \u{a0}",
        "      | a | b |",
        "      | x |",
        "      | <x> |",
        "      |",
        "      | a \\| b |",
        "  | a | # c",
        "      \"\"\"",
        "      ```",
        "      \"\"\"json",
        "        indented text",
        "    text # x \"\"\"",
        "      \"\"\" tail",
        "  Nonsense:",
        ":",
    ];

    fn line() -> impl Strategy<Value = String> {
        let trailing = proptest::sample::select(vec!["", "", "", "", " ", "\t", "\r", " # c"]);
        (proptest::sample::select(LINES), trailing).prop_map(|(line, tail)| format!("{line}{tail}"))
    }

    /// Blocks of lines the way feature files are written (a keyword, steps, a table or a
    /// docstring), with odd lines mixed in.
    fn block() -> impl Strategy<Value = Vec<String>> {
        let header = proptest::sample::select(vec![
            "  Scenario: s",
            "  @t\n  Scenario: s",
            "  Background:",
            "  Scenario Outline: o",
            "  Rule: r",
            "    Examples:",
            "    @e\n    Examples:\n      | a |\n      | 1 |",
            "  description",
        ]);
        let step = proptest::sample::select(vec![
            "    Given a",
            "    When b",
            "    Then c",
            "    And d",
            "    But e",
            "    * f",
        ]);
        let argument = proptest::sample::select(vec![
            "",
            "      | a | b |\n      | 1 | 2 |",
            "      | x |",
            "      \"\"\"\n      text\n        more\n      \"\"\"",
            "      ```\n      # not a comment\n      ```",
            "      \"\"\"\n      t\n      \"\"\"\n      | a |",
            "      \"\"\"\n      a # \"\"\" hidden\n    \"\"\"",
            "      ```json\n        {}\n       ```",
        ]);
        let steps = proptest::collection::vec((step, argument), 0..4);
        let odd = proptest::collection::vec(line(), 0..2);
        (header, steps, odd).prop_map(|(header, steps, odd)| {
            let mut lines = vec![header.to_owned()];
            for (step, argument) in steps {
                lines.push(step.to_owned());
                lines.extend(argument.lines().map(str::to_owned));
            }
            lines.extend(odd);
            lines
        })
    }

    fn feature_text() -> impl Strategy<Value = String> {
        let body = prop_oneof![
            2 => proptest::collection::vec(block(), 0..5)
                .prop_map(|blocks| blocks.concat()),
            1 => proptest::collection::vec(line(), 0..16),
        ];
        let head =
            proptest::sample::select(vec!["Feature: f", "@a\nFeature: f", "# c\n\nFeature:"]);
        let breaks = proptest::collection::vec(proptest::bool::weighted(0.2), 40);
        (head, body, breaks, any::<bool>()).prop_map(|(head, body, crlf, final_break)| {
            let lines: Vec<&str> = head
                .lines()
                .chain(body.iter().map(String::as_str))
                .collect();
            joined(&lines, &crlf, final_break)
        })
    }

    /// Random files from the lines and blocks above: a fixed seed, so the same files every run.
    #[test]
    fn generated_files_parse_as_gherkin_parses_them() {
        use proptest::test_runner::{Config, RngSeed, TestRunner};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let config = Config {
            cases: 3000,
            rng_seed: RngSeed::Fixed(16),
            failure_persistence: None,
            ..Config::default()
        };
        let read_here = AtomicUsize::new(0);
        let accepted = AtomicUsize::new(0);
        TestRunner::new(config)
            .run(&feature_text(), |text| {
                let route = compare(&text).map_err(TestCaseError::fail)?;
                if Feature::parse(&text, GherkinEnv::default()).is_ok() {
                    accepted.fetch_add(1, Ordering::Relaxed);
                }
                if route == Route::Fast {
                    read_here.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
            .unwrap();
        let (read_here, accepted) = (read_here.into_inner(), accepted.into_inner());
        println!("3000 generated files: {accepted} accepted by gherkin, {read_here} read here");
        // Everything gherkin accepts is read here (nothing generated names a language).
        assert_eq!(read_here, accepted);
        assert!(read_here >= 1000, "only {read_here} read here");
    }

    /// Files of steps with odd tables (odd cells, escapes and row ends, CRLF).
    #[test]
    fn files_with_odd_tables_parse_as_gherkin_parses_them() {
        use proptest::test_runner::{Config, RngSeed, TestRunner};
        let config = Config {
            cases: 1000,
            rng_seed: RngSeed::Fixed(16),
            failure_persistence: None,
            ..Config::default()
        };
        TestRunner::new(config)
            .run(&files_with_odd_tables(), |text| {
                compare(&text).map_err(TestCaseError::fail)?;
                Ok(())
            })
            .unwrap();
    }
}
