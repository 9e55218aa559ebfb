//! Where text came from: positions of errors in templates and in feature files.

use std::path::PathBuf;

/// Where a piece of YAML text came from, for error positions (a docstring in a feature file
/// starts at `line_offset`).
///
/// `line_offset` is the number of lines in `file` before the text's first line: a docstring
/// whose first content line is line 12 of the feature file has `line_offset: 11`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    pub line_offset: usize,
}

impl Origin {
    pub fn new(file: impl Into<PathBuf>, line_offset: usize) -> Self {
        Origin {
            file: file.into(),
            line_offset,
        }
    }
}

/// Source text kept for positions of interpolation errors.
#[derive(Debug, Clone)]
pub(super) struct Source {
    pub(super) file: PathBuf,
    pub(super) text: String,
    pub(super) line_offset: usize,
}

impl Source {
    /// 1-based line and column (in characters) of a byte offset, with the line offset added.
    pub(super) fn position(&self, byte: usize) -> (usize, usize) {
        let before = &self.text[..byte];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line + self.line_offset, column)
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
