//! Expected notifications against the notifications that arrived: in order, in any order, or
//! eventually (each somewhere). Pure: the steps wait for the notifications, then ask here whether
//! they match and how to say why not.
//!
//! Any order pairs expectations with distinct notifications by the same assignment algorithm as
//! `#anyorder` arrays (`super::unordered::maximum_matching`). When an expectation matches
//! nothing, the notification shown as "closest" is the one that has the most of the expected
//! values (leaf by leaf), not the one with the fewest mismatch lines: a notification lacking a
//! whole expected object makes one mismatch line, one carrying it with one wrong field too.

use serde_json::Value;

use super::unordered::{maximum_matching, unordered_form};
use super::{check_at, check_fields, check_node, describe, MatchMode, Mismatch};

/// What one notification must look like: a full pattern (a docstring or a file), or a table row
/// of path checks.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A pattern matched as [`MatchMode::Subset`].
    Pattern(Value),
    /// `(path, pattern)` checks, as [`check_fields`] takes them.
    Fields(Vec<(String, Value)>),
}

impl Expected {
    /// The mismatches of `item`, their paths rooted at `root`.
    #[must_use]
    pub fn mismatches(&self, root: &str, item: &Value) -> Vec<Mismatch> {
        match self {
            Expected::Pattern(p) => check_at(root, p, item, MatchMode::Subset),
            Expected::Fields(f) => check_fields(root, f, item),
        }
    }

    /// Whether `item` matches.
    #[must_use]
    pub fn matches(&self, item: &Value) -> bool {
        self.mismatches("", item).is_empty()
    }

    /// What is expected, in one line: `resourceData.state=established`.
    #[must_use]
    pub fn short(&self) -> String {
        match self {
            Expected::Pattern(p) => serde_json::to_string(p).unwrap_or_default(),
            Expected::Fields(fields) => fields
                .iter()
                .map(|(path, value)| match value {
                    Value::String(text) => format!("{path}={text}"),
                    other => format!("{path}={other}"),
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The mismatch lines, then a diff (a pattern) or the notification itself (path checks).
    #[must_use]
    pub fn describe(&self, item: &Value, mismatches: &[Mismatch]) -> String {
        match self {
            Expected::Pattern(p) => describe(p, item, mismatches),
            Expected::Fields(_) => {
                let lines: Vec<String> = mismatches.iter().map(|m| format!("  {m}")).collect();
                let shown = serde_json::to_string_pretty(item).unwrap_or_default();
                format!("{}\nthe notification:\n{shown}", lines.join("\n"))
            }
        }
    }

    /// How many of the expected leaf values `item` has, of how many.
    fn leaves(&self, item: &Value) -> (usize, usize) {
        match self {
            Expected::Pattern(p) => leaves(p, Some(item)),
            Expected::Fields(fields) => fields
                .iter()
                .map(|(path, p)| leaves(p, crate::template::lookup(item, path)))
                .fold((0, 0), |(m, t), (a, b)| (m + a, t + b)),
        }
    }
}

/// `(matched, total)` leaves of a pattern: the scalars and markers under its objects and
/// ordered arrays (an `#anyorder` / `#contains` array counts as one).
fn leaves(expected: &Value, actual: Option<&Value>) -> (usize, usize) {
    let add = |(m, t): (usize, usize), (a, b): (usize, usize)| (m + a, t + b);
    match expected {
        Value::Object(exp) if !exp.is_empty() => {
            let act = actual.and_then(Value::as_object);
            exp.iter()
                .map(|(k, e)| leaves(e, act.and_then(|a| a.get(k))))
                .fold((0, 0), add)
        }
        Value::Array(exp) if !exp.is_empty() && unordered_form(exp).is_none() => {
            let act = actual.and_then(Value::as_array);
            exp.iter()
                .enumerate()
                .map(|(i, e)| leaves(e, act.and_then(|a| a.get(i))))
                .fold((0, 0), add)
        }
        _ => {
            let mut out = Vec::new();
            check_node(expected, actual, "", MatchMode::Subset, &mut out);
            (usize::from(out.is_empty()), 1)
        }
    }
}

/// The notification closest to `want`: the most expected values present and right, then the
/// fewest mismatches, then the earliest. With its mismatches, rooted at `root`.
#[must_use]
pub fn closest(want: &Expected, root: &str, items: &[&Value]) -> Option<Closest> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| (i, want.leaves(item).0, want.mismatches(root, item)))
        .min_by_key(|(_, matched, m)| (std::cmp::Reverse(*matched), m.len()))
        .map(|(i, _, m)| (i, m))
}

/// Why the notifications at some position do not match "in order".
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfOrder {
    /// The first position (from 0) whose notification does not match.
    pub position: usize,
    /// Its mismatches, rooted at `notification <n>`.
    pub mismatches: Vec<Mismatch>,
    /// Where what the position expects did arrive instead, if it did.
    pub hint: Hint,
}

/// Where what a position expects arrived instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// At this other position (from 0), which nothing else expects: the order is wrong.
    WrongOrder(usize),
    /// Only at this position (from 0), which the table expects too: expected twice?
    ExpectedTwice(usize),
    /// Nowhere.
    Nowhere,
}

/// Checks that `items[i]` matches `expected[i]` for each `i` (`items` may be longer; the extra
/// ones are not looked at). `first` is how many notifications came before `items` (positions
/// in messages count from it).
pub fn in_order(expected: &[Expected], items: &[&Value], first: usize) -> Result<(), OutOfOrder> {
    for (i, (want, got)) in expected.iter().zip(items).enumerate() {
        let mismatches = want.mismatches(&format!("notification {}", first + i + 1), got);
        if mismatches.is_empty() {
            continue;
        }
        // Where what this position expects did arrive, and whether another expectation
        // already accounts for that notification (a state expected twice, say).
        let elsewhere: Vec<usize> = (0..items.len())
            .filter(|&j| j != i && want.matches(items[j]))
            .collect();
        let unclaimed = elsewhere
            .iter()
            .find(|&&j| expected.get(j).is_none_or(|p| !p.matches(items[j])));
        let hint = match (unclaimed, elsewhere.first()) {
            (Some(&j), _) => Hint::WrongOrder(j),
            (None, Some(&j)) => Hint::ExpectedTwice(j),
            (None, None) => Hint::Nowhere,
        };
        return Err(OutOfOrder {
            position: i,
            mismatches,
            hint,
        });
    }
    Ok(())
}

impl OutOfOrder {
    /// The failure as the step reports it, numbered from `first` as [`in_order`] was; the
    /// caller adds the listing of what arrived.
    #[must_use]
    pub fn message(&self, expected: &[Expected], items: &[&Value], first: usize) -> String {
        let n = first + self.position + 1;
        let want = &expected[self.position];
        let hint = match self.hint {
            Hint::WrongOrder(j) => format!(
                "\nwrong order: what position {n} expects arrived as notification {}",
                first + j + 1
            ),
            Hint::ExpectedTwice(j) => format!(
                "\nthe only notification like it is notification {0}, which position {0} of \
                 the table already expects: is it expected twice?",
                first + j + 1
            ),
            Hint::Nowhere => String::new(),
        };
        format!(
            "notification {n} does not match what position {n} expects ({}):\n{}{hint}",
            want.short(),
            want.describe(items[self.position], &self.mismatches),
        )
    }
}

/// Expectations that found no notification, each with its closest one.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmatched {
    /// `(expectation from 0, its closest notification and that one's mismatches)`. Empty
    /// when each expectation matches some notification, only not each a different one.
    pub missing: Vec<(usize, Option<Closest>)>,
}

/// A notification closest to an expectation (its index), and its mismatches.
pub type Closest = (usize, Vec<Mismatch>);

impl Unmatched {
    fn of(expected: &[Expected], items: &[&Value]) -> Self {
        let missing = expected
            .iter()
            .enumerate()
            .filter(|(_, want)| !items.iter().any(|item| want.matches(item)))
            .map(|(i, want)| (i, closest(want, &format!("expected {}", i + 1), items)))
            .collect();
        Unmatched { missing }
    }

    /// One paragraph per expectation that found nothing; `summary(i)` names notification `i`.
    #[must_use]
    pub fn message(&self, summary: impl Fn(usize) -> String) -> String {
        if self.missing.is_empty() {
            return "each expectation matches some notification, but not each a different one"
                .to_owned();
        }
        self.missing
            .iter()
            .map(|(i, closest)| match closest {
                Some((item, m)) => format!(
                    "expected {} matches no notification; closest is \"{}\":\n    {}",
                    i + 1,
                    summary(*item),
                    m.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n    ")
                ),
                None => format!("expected {} matches no notification", i + 1),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Pairs each expectation with a distinct notification of `items` it matches, in any order:
/// `Ok` holds, per expectation, the index of its notification.
pub fn any_order(expected: &[Expected], items: &[&Value]) -> Result<Vec<usize>, Unmatched> {
    let compatible: Vec<Vec<bool>> = expected
        .iter()
        .map(|want| items.iter().map(|item| want.matches(item)).collect())
        .collect();
    let assigned = maximum_matching(&compatible, items.len());
    if assigned.iter().all(Option::is_some) {
        Ok(assigned.into_iter().flatten().collect())
    } else {
        Err(Unmatched::of(expected, items))
    }
}

/// Whether each expectation matches some notification of `items` (the same one may serve two).
#[must_use]
pub fn all_included(expected: &[Expected], items: &[&Value]) -> bool {
    expected
        .iter()
        .all(|want| items.iter().any(|item| want.matches(item)))
}

/// [`all_included`], with the expectations that found nothing when it fails.
pub fn eventually(expected: &[Expected], items: &[&Value]) -> Result<(), Unmatched> {
    if all_included(expected, items) {
        Ok(())
    } else {
        Err(Unmatched::of(expected, items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(items: &[Value]) -> Vec<&Value> {
        items.iter().collect()
    }

    fn state(s: &str) -> Expected {
        Expected::Fields(vec![("resourceData.state".into(), json!(s))])
    }

    fn notification(s: &str) -> Value {
        json!({"changeType": "updated", "resourceData": {"state": s}})
    }

    #[test]
    fn in_order_names_the_first_position_that_differs_and_where_it_arrived() {
        let items = [notification("establishing"), notification("established")];
        let expected = [state("established"), state("establishing")];
        let err = in_order(&expected, &refs(&items), 2).unwrap_err();
        assert_eq!(err.position, 0);
        assert_eq!(err.hint, Hint::WrongOrder(1));
        let text = err.message(&expected, &refs(&items), 2);
        assert!(text.starts_with("notification 3 does not match what position 3 expects (resourceData.state=established):\n  notification 3.resourceData.state: expected \"established\", got \"establishing\""), "{text}");
        assert!(text.contains("wrong order: what position 3 expects arrived as notification 4"));
        assert!(in_order(&[state("establishing")], &refs(&items), 0).is_ok());
    }

    #[test]
    fn in_order_says_when_a_notification_is_expected_twice() {
        let items = [notification("establishing"), notification("established")];
        let expected = [state("establishing"), state("establishing")];
        let err = in_order(&expected, &refs(&items), 0).unwrap_err();
        assert_eq!((err.position, err.hint), (1, Hint::ExpectedTwice(0)));
    }

    #[test]
    fn any_order_needs_a_distinct_notification_per_expectation() {
        let items = [notification("established"), notification("establishing")];
        let expected = [state("establishing"), state("established")];
        assert_eq!(any_order(&expected, &refs(&items)), Ok(vec![1, 0]));
        // Both match the same one only: each matches something, not each a different one.
        let twice = [state("established"), state("established")];
        let err = any_order(&twice, &refs(&items)).unwrap_err();
        assert!(err.missing.is_empty());
        assert_eq!(
            err.message(|_| String::new()),
            "each expectation matches some notification, but not each a different one"
        );
        // The same two are fine for "eventually": one notification may serve both.
        assert!(eventually(&twice, &refs(&items)).is_ok());
    }

    /// Issue 20: a notification without the expected object made one mismatch line, as did the
    /// one carrying it with one wrong field; the first of the two was shown as "closest".
    #[test]
    fn the_closest_notification_is_the_one_with_most_expected_values() {
        let items = [
            notification("establishing"),
            json!({"changeType": "updated", "resourceData": {
                "state": "established", "toneInfo": {"tone": "tone1", "sequenceId": 1}}}),
        ];
        let want = Expected::Pattern(json!({"resourceData": {
            "toneInfo": {"tone": "tone1", "sequenceId": 2}}}));
        let err = eventually(std::slice::from_ref(&want), &refs(&items)).unwrap_err();
        let text = err.message(|i| format!("notification {}", i + 1));
        assert_eq!(
            text,
            "expected 1 matches no notification; closest is \"notification 2\":\n    \
             expected 1.resourceData.toneInfo.sequenceId: expected 2, got 1"
        );
        // The same with a table cell holding the object.
        let cell = Expected::Fields(vec![(
            "resourceData.toneInfo".into(),
            json!({"tone": "tone1", "sequenceId": 2}),
        )]);
        assert_eq!(closest(&cell, "", &refs(&items)).map(|c| c.0), Some(1));
        // Ties still go to the earliest.
        assert_eq!(
            closest(&state("x"), "", &refs(&items)).map(|c| c.0),
            Some(0)
        );
        assert_eq!(closest(&state("x"), "", &[]), None);
    }
}
