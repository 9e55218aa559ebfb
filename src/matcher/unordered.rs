//! `["#contains", ...]` and `["#anyorder", ...]`: patterns matched to distinct elements, in any
//! order. [`maximum_matching`] is the one assignment algorithm of the crate: the notification
//! sequences of [`super::sequence`] use it too.

use serde_json::Value;

use super::{check_node, child_index, compact, elements, push, MatchMode, Mismatch, ABSENT};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    Contains,
    AnyOrder,
}

impl Order {
    pub(super) fn label(self) -> &'static str {
        match self {
            Order::Contains => "#contains",
            Order::AnyOrder => "#anyorder",
        }
    }
}

/// Splits an `["#contains", ...]` / `["#anyorder", ...]` pattern into its kind and patterns.
pub(super) fn unordered_form(items: &[Value]) -> Option<(Order, &[Value])> {
    match items.first() {
        Some(Value::String(s)) if s == "#contains" => Some((Order::Contains, &items[1..])),
        Some(Value::String(s)) if s == "#anyorder" => Some((Order::AnyOrder, &items[1..])),
        _ => None,
    }
}

/// Sort key for "closest candidate": fewer mismatches first, then fewer missing values.
pub(super) fn closeness(mismatches: &[Mismatch]) -> (usize, usize) {
    let missing = mismatches.iter().filter(|m| m.actual == ABSENT).count();
    (mismatches.len(), missing)
}

/// Whether both are objects or both are arrays.
pub(super) fn same_structure(pattern: &Value, actual: &Value) -> bool {
    matches!(
        (pattern, actual),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_))
    )
}

/// Result of matching unordered patterns against array elements.
pub(super) struct Assignment {
    /// For each pattern, the element it is assigned to.
    pub(super) pattern_to_element: Vec<Option<usize>>,
    /// `mismatches[p][e]`: the mismatches of pattern `p` against element `e`, paths rooted at the
    /// element.
    pub(super) mismatches: Vec<Vec<Vec<Mismatch>>>,
}

/// Maximum bipartite matching (Kuhn's augmenting paths) of patterns to distinct elements.
pub(super) fn assign(
    patterns: &[Value],
    actual: &[Value],
    path: &str,
    mode: MatchMode,
) -> Assignment {
    let mismatches: Vec<Vec<Vec<Mismatch>>> = patterns
        .iter()
        .map(|p| {
            actual
                .iter()
                .enumerate()
                .map(|(j, a)| {
                    let mut out = Vec::new();
                    check_node(p, Some(a), &child_index(path, j), mode, &mut out);
                    out
                })
                .collect()
        })
        .collect();
    let compatible: Vec<Vec<bool>> = mismatches
        .iter()
        .map(|row| row.iter().map(Vec::is_empty).collect())
        .collect();
    Assignment {
        pattern_to_element: maximum_matching(&compatible, actual.len()),
        mismatches,
    }
}

/// Maximum bipartite matching (Kuhn's augmenting paths): `compatible[p][e]` says whether
/// pattern `p` accepts element `e` (of `elements`); the answer gives each pattern its distinct
/// element, as many patterns as can have one. The one assignment algorithm of the crate.
pub(super) fn maximum_matching(compatible: &[Vec<bool>], elements: usize) -> Vec<Option<usize>> {
    fn augment(
        p: usize,
        compatible: &[Vec<bool>],
        seen: &mut [bool],
        element_to_pattern: &mut [Option<usize>],
    ) -> bool {
        for (e, &ok) in compatible[p].iter().enumerate() {
            if ok && !seen[e] {
                seen[e] = true;
                let free = match element_to_pattern[e] {
                    None => true,
                    Some(q) => augment(q, compatible, seen, element_to_pattern),
                };
                if free {
                    element_to_pattern[e] = Some(p);
                    return true;
                }
            }
        }
        false
    }

    let mut element_to_pattern = vec![None; elements];
    for p in 0..compatible.len() {
        let mut seen = vec![false; elements];
        augment(p, compatible, &mut seen, &mut element_to_pattern);
    }
    let mut pattern_to_element = vec![None; compatible.len()];
    for (e, p) in element_to_pattern.iter().enumerate() {
        if let Some(p) = p {
            pattern_to_element[*p] = Some(e);
        }
    }
    pattern_to_element
}

pub(super) fn check_unordered(
    order: Order,
    patterns: &[Value],
    actual: &[Value],
    path: &str,
    mode: MatchMode,
    out: &mut Vec<Mismatch>,
) {
    if order == Order::AnyOrder && patterns.len() != actual.len() {
        push(
            out,
            path,
            elements(patterns.len()),
            actual.len().to_string(),
        );
    }
    let assignment = assign(patterns, actual, path, mode);
    for (p, pattern) in patterns.iter().enumerate() {
        if assignment.pattern_to_element[p].is_some() {
            continue;
        }
        let row = &assignment.mismatches[p];
        let pattern_path = format!("{path}[{} {}]", order.label(), p + 1);
        let expected = format!("an element matching {}", compact(pattern));
        if row.iter().any(Vec::is_empty) {
            push(
                out,
                &pattern_path,
                expected,
                "no unused element (each element it matches is taken by another pattern)"
                    .to_owned(),
            );
            continue;
        }
        push(
            out,
            &pattern_path,
            expected,
            format!("no match among {}", elements(actual.len())),
        );
        // For structured patterns, also show why the closest element of the same type failed.
        let closest = row
            .iter()
            .enumerate()
            .filter(|(e, _)| same_structure(pattern, &actual[*e]))
            .min_by_key(|(_, m)| closeness(m));
        if let Some((_, m)) = closest {
            out.extend(m.iter().cloned());
        }
    }
}
