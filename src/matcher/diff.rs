//! What [`super::describe`] shows below the mismatch lines: the expected pattern normalized to
//! look like the actual value wherever it matched, and a plain line diff of the two.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::markers::parse_marker;
use super::unordered::{assign, closeness, same_structure, unordered_form, Order};
use super::{numbers_equal, MatchMode, DIFF_CONTEXT};

/// The expected pattern rewritten to look like `actual` wherever it matched; `None` = absent.
pub(super) fn normalize(
    expected: &Value,
    actual: Option<&Value>,
    mode: MatchMode,
) -> Option<Value> {
    if let Value::String(s) = expected {
        if let Some(marker) = parse_marker(s) {
            return if marker.accepts(actual) {
                actual.cloned()
            } else {
                Some(expected.clone())
            };
        }
    }
    let Some(actual) = actual else {
        return Some(expected.clone());
    };
    match (expected, actual) {
        (Value::Object(exp), Value::Object(act)) => {
            let mut map = Map::new();
            for (key, a) in act {
                match exp.get(key) {
                    Some(e) => {
                        if let Some(v) = normalize(e, Some(a), mode) {
                            map.insert(key.clone(), v);
                        }
                    }
                    None => {
                        if mode == MatchMode::Subset {
                            map.insert(key.clone(), a.clone());
                        }
                    }
                }
            }
            for (key, e) in exp {
                if !act.contains_key(key) {
                    if let Some(v) = normalize(e, None, mode) {
                        map.insert(key.clone(), v);
                    }
                }
            }
            Some(Value::Object(map))
        }
        (Value::Array(exp), Value::Array(act)) => match unordered_form(exp) {
            Some((order, patterns)) => {
                let assignment = assign(patterns, act, "$", mode);
                let mut element_to_pattern = vec![None; act.len()];
                for (p, e) in assignment.pattern_to_element.iter().enumerate() {
                    if let Some(e) = e {
                        element_to_pattern[*e] = Some(p);
                    }
                }
                // Pair each unmatched pattern with its closest unassigned element (structured
                // ones only for #contains, where unassigned elements are legitimate extras), so
                // the diff shows what differs inside it rather than a whole block.
                let mut paired: Vec<Option<Value>> = vec![None; act.len()];
                let mut leftover = Vec::new();
                for (p, pattern) in patterns.iter().enumerate() {
                    if assignment.pattern_to_element[p].is_some() {
                        continue;
                    }
                    let closest = (0..act.len())
                        .filter(|&e| element_to_pattern[e].is_none() && paired[e].is_none())
                        .filter(|&e| order == Order::AnyOrder || same_structure(pattern, &act[e]))
                        .min_by_key(|&e| closeness(&assignment.mismatches[p][e]));
                    match closest {
                        Some(e) => paired[e] = normalize(pattern, Some(&act[e]), mode),
                        None => leftover.push(pattern.clone()),
                    }
                }
                let mut items = Vec::new();
                for (e, a) in act.iter().enumerate() {
                    if let Some(v) = paired[e].take() {
                        items.push(v);
                    } else if element_to_pattern[e].is_some() || order == Order::Contains {
                        items.push(a.clone());
                    }
                }
                items.extend(leftover);
                Some(Value::Array(items))
            }
            None => {
                let mut items = Vec::new();
                for (i, e) in exp.iter().enumerate() {
                    match act.get(i) {
                        Some(a) => items.extend(normalize(e, Some(a), mode)),
                        None => items.push(e.clone()),
                    }
                }
                Some(Value::Array(items))
            }
        },
        (Value::Number(e), Value::Number(a)) if numbers_equal(e, a) => Some(actual.clone()),
        _ => Some(expected.clone()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// Line operations turning `a` into `b` (longest common subsequence).
fn diff_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op<'a>> = a[..prefix].iter().map(|l| Op::Same(l)).collect();
    let (n, m) = (ma.len(), mb.len());
    if n.saturating_mul(m) > 4_000_000 {
        // Too big for the quadratic table: show the whole middle as replaced.
        ops.extend(ma.iter().map(|l| Op::Removed(l)));
        ops.extend(mb.iter().map(|l| Op::Added(l)));
    } else {
        // lcs[i][j] = LCS length of ma[i..] and mb[j..], stored row-major.
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if ma[i] == mb[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                ops.push(Op::Same(ma[i]));
                i += 1;
                j += 1;
            } else if j == m || (i < n && lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
                ops.push(Op::Removed(ma[i]));
                i += 1;
            } else {
                ops.push(Op::Added(mb[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - suffix..].iter().map(|l| Op::Same(l)));
    ops
}

/// Unified-style diff without colours: `-` left, `+` right, ` ` unchanged; long unchanged runs
/// are folded into `...` lines.
pub(super) fn line_diff(left: &str, right: &str) -> String {
    let a: Vec<&str> = left.lines().collect();
    let b: Vec<&str> = right.lines().collect();
    let ops = diff_ops(&a, &b);
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(_)))
        .map(|(i, _)| i)
        .collect();
    let mut keep = vec![false; ops.len()];
    for &c in &changed {
        let lo = c.saturating_sub(DIFF_CONTEXT);
        let hi = (c + DIFF_CONTEXT).min(ops.len() - 1);
        keep[lo..=hi].iter_mut().for_each(|k| *k = true);
    }
    let mut s = String::new();
    let mut skipped: Vec<&Op> = Vec::new();
    let flush = |s: &mut String, skipped: &mut Vec<&Op>| {
        match skipped.as_slice() {
            [] => {}
            // Folding a single line would not save anything.
            [op] => write_op(s, op),
            run => {
                let _ = writeln!(s, " ... ({} unchanged lines)", run.len());
            }
        }
        skipped.clear();
    };
    for (op, keep) in ops.iter().zip(&keep) {
        if *keep {
            flush(&mut s, &mut skipped);
            write_op(&mut s, op);
        } else {
            skipped.push(op);
        }
    }
    flush(&mut s, &mut skipped);
    s
}

fn write_op(s: &mut String, op: &Op) {
    let _ = match op {
        Op::Same(l) => writeln!(s, " {l}"),
        Op::Removed(l) => writeln!(s, "-{l}"),
        Op::Added(l) => writeln!(s, "+{l}"),
    };
}
