//! Where text came from: positions of errors in templates and in feature files.

use std::path::PathBuf;

/// Where a piece of text came from, for error positions: a template file, or a docstring or
/// table cell inside a feature file.
///
/// `line_offset` is the number of lines in `file` before the text's first line: a docstring
/// whose first content line is line 12 of the feature file has `line_offset: 11`.
/// `column_offset` is the number of characters before the text on each of its lines: Gherkin
/// strips a docstring's indentation, and a table cell starts after its `|`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line_offset: usize,
    pub column_offset: usize,
}

impl Origin {
    pub fn new(file: impl Into<PathBuf>, line_offset: usize) -> Self {
        Origin {
            file: file.into(),
            line_offset,
            column_offset: 0,
        }
    }

    /// The same origin, with every column moved right by `columns` characters.
    pub fn indented(mut self, columns: usize) -> Self {
        self.column_offset = columns;
        self
    }

    pub(super) fn source(&self, text: &str) -> Source {
        Source {
            file: self.file.clone(),
            text: text.to_owned(),
            line_offset: self.line_offset,
            column_offset: self.column_offset,
        }
    }
}

/// Source text kept for positions of interpolation errors.
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub(super) file: PathBuf,
    pub(super) text: String,
    pub(super) line_offset: usize,
    pub(super) column_offset: usize,
}

impl Source {
    /// 1-based line and column (in characters) of a byte offset, with the line offset added.
    pub(super) fn position(&self, byte: usize) -> (usize, usize) {
        let before = &self.text[..byte];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line + self.line_offset, column + self.column_offset)
    }

    /// Finds `needle` in the text, skipping occurrences escaped as `$${...}`.
    pub(super) fn find_placeholder(&self, needle: &str) -> Option<(usize, usize)> {
        if needle.is_empty() {
            return None;
        }
        let mut from = 0;
        while let Some(i) = self.text[from..].find(needle) {
            let at = from + i;
            if at > 0 && self.text.as_bytes()[at - 1] == b'$' {
                from = at + 1;
                continue;
            }
            return Some(self.position(at));
        }
        None
    }

    /// Finds a mapping key written at the start of a line (`extends:`), not the same word in a
    /// value such as a description.
    pub(super) fn find_key(&self, key: &str) -> Option<(usize, usize)> {
        let mut start = 0;
        for line in self.text.split_inclusive('\n') {
            if let Some(rest) = line.strip_prefix(key) {
                if rest.trim_start_matches([' ', '\t']).starts_with(':') {
                    return Some(self.position(start));
                }
            }
            start += line.len();
        }
        None
    }

    /// Finds `needle` anywhere in the text.
    pub(super) fn find(&self, needle: &str) -> Option<(usize, usize)> {
        if needle.is_empty() {
            return None;
        }
        self.text.find(needle).map(|i| self.position(i))
    }
}

/// Searches `sources` (in order) for a placeholder; falls back to the first file without a position.
pub(super) fn locate(
    sources: &[Source],
    needle: &str,
) -> (Option<PathBuf>, Option<usize>, Option<usize>) {
    for source in sources {
        if let Some((line, column)) = source.find_placeholder(needle) {
            return (Some(source.file.clone()), Some(line), Some(column));
        }
    }
    // Multi-line scalars may have been folded: try the first line of the needle.
    if let Some(first) = needle.lines().next().filter(|f| f.len() < needle.len()) {
        for source in sources {
            if let Some((line, column)) = source.find_placeholder(first) {
                return (Some(source.file.clone()), Some(line), Some(column));
            }
        }
    }
    (sources.first().map(|s| s.file.clone()), None, None)
}
