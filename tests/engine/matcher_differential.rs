//! Differential and metamorphic tests for the JSON matcher.
//!
//! Random, marker-free JSON pairs (a fixed-seed PRNG, bounded size) are compared with
//! `callspec::check` and with `assert_json_diff`:
//!
//! * `MatchMode::Exact` must agree with `CompareMode::Strict` (numbers compared as floats).
//! * `MatchMode::Subset` must agree with `CompareMode::Inclusive`, *except* for arrays:
//!   `assert_json_diff`'s Inclusive mode accepts an actual array that is longer than the
//!   expected one (the expected array only has to be a prefix), whereas our arrays must have the
//!   same length. So the Subset oracle is "Inclusive passes AND every array compared along the
//!   expected structure has the same length in both values". Generation is not restricted; the
//!   prefix case is exercised and counted.
//!
//! Generated strings are literals only (including Graph-style literals that start with `#` and
//! near-misses of markers); arrays never start with `"#contains"` / `"#anyorder"`.

use assert_json_diff::{assert_json_matches_no_panic, CompareMode, Config, NumericMode};
use callspec::matching::describe;
use callspec::{check, MatchMode};
use serde_json::{json, Map, Value};

/// SplitMix64: tiny, deterministic, good enough for test generation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &["a", "b", "c", "id", "@odata.type", "d e"];

/// Literal strings only; several look like markers but are not.
const STRINGS: &[&str] = &[
    "",
    "x",
    "y",
    "#microsoft.graph.call",
    "#microsoft.graph.participant",
    "#uuid ",
    " #uuid",
    "#Ignore",
    "#regex",
    "##nope",
    "###uuid",
    "#containsx",
    "#",
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
];

fn gen_scalar(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 | 3 => json!(rng.below(5) as i64 - 2),
        4 => json!(*rng.pick(&[0.5, -1.5, 2.0, 1.0])),
        _ => json!(*rng.pick(STRINGS)),
    }
}

fn gen_value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 {
        return gen_scalar(rng);
    }
    match rng.below(10) {
        0..=2 => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                let key = *rng.pick(KEYS);
                map.insert(key.to_owned(), gen_value(rng, depth - 1));
            }
            Value::Object(map)
        }
        3 | 4 => Value::Array(
            (0..rng.below(4))
                .map(|_| gen_value(rng, depth - 1))
                .collect(),
        ),
        _ => gen_scalar(rng),
    }
}

/// Applies one random edit somewhere in `v` (some edits keep the value equal by value).
fn mutate(rng: &mut Rng, v: &mut Value) {
    // Descend into a random child most of the time.
    if rng.chance(65) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                let i = rng.below(map.len());
                let child = map.values_mut().nth(i).expect("index in range");
                return mutate(rng, child);
            }
            Value::Array(items) if !items.is_empty() => {
                let i = rng.below(items.len());
                return mutate(rng, &mut items[i]);
            }
            _ => {}
        }
    }
    match v {
        Value::Object(map) => match rng.below(4) {
            0 if !map.is_empty() => {
                let key = map.keys().nth(rng.below(map.len())).cloned().expect("key");
                map.shift_remove(&key);
            }
            1 | 2 => {
                let key = *rng.pick(KEYS);
                map.insert(key.to_owned(), gen_value(rng, 1));
            }
            _ => *v = gen_value(rng, 2),
        },
        Value::Array(items) => match rng.below(5) {
            0 if !items.is_empty() => {
                items.pop();
            }
            1 => items.push(gen_value(rng, 1)),
            2 if items.len() >= 2 => {
                let (i, j) = (rng.below(items.len()), rng.below(items.len()));
                items.swap(i, j);
            }
            _ => *v = gen_value(rng, 2),
        },
        Value::Number(n) if rng.chance(40) => {
            // Same value, other representation: 1 <-> 1.0.
            let f = n.as_f64().expect("finite");
            *v = if n.is_f64() && f.fract() == 0.0 {
                json!(f as i64)
            } else {
                json!(f)
            };
        }
        _ => *v = gen_value(rng, 1),
    }
}

/// Whether every pair of arrays reached by following `expected`'s structure into `actual`
/// has equal lengths (the one place our Subset differs from `CompareMode::Inclusive`).
fn arrays_same_len(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, ev)| a.get(k).is_none_or(|av| arrays_same_len(ev, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| arrays_same_len(ev, av))
        }
        _ => true,
    }
}

fn oracle(expected: &Value, actual: &Value, mode: CompareMode) -> bool {
    let config = Config::new(mode).numeric_mode(NumericMode::AssumeFloat);
    assert_json_matches_no_panic(actual, expected, config).is_ok()
}

#[derive(Default, Debug)]
struct Tally {
    cases: usize,
    exact_pass: usize,
    exact_fail: usize,
    subset_only: usize,
    prefix_divergence: usize,
}

#[test]
fn pool_strings_are_literals() {
    for s in STRINGS {
        assert!(
            check(&json!(s), &json!(s), MatchMode::Exact).is_empty(),
            "{s:?}"
        );
        assert_eq!(
            check(&json!(s), &json!(12345), MatchMode::Exact).len(),
            1,
            "{s:?}"
        );
        assert_eq!(
            check(&json!({"k": s}), &json!({}), MatchMode::Subset).len(),
            1
        );
    }
}

#[test]
fn check_agrees_with_assert_json_diff() {
    let mut rng = Rng(0x5EED_CA11_5BEC_0001);
    let mut tally = Tally::default();
    for case in 0..4000 {
        let expected = gen_value(&mut rng, 3);
        let actual = if rng.chance(10) {
            gen_value(&mut rng, 3)
        } else {
            let mut a = expected.clone();
            for _ in 0..rng.below(3) {
                mutate(&mut rng, &mut a);
            }
            a
        };
        for (e, a) in [(&expected, &actual), (&actual, &expected)] {
            tally.cases += 1;
            let exact = check(e, a, MatchMode::Exact);
            let subset = check(e, a, MatchMode::Subset);
            let strict_ok = oracle(e, a, CompareMode::Strict);
            let inclusive_ok = oracle(e, a, CompareMode::Inclusive);
            let same_len = arrays_same_len(e, a);

            assert_eq!(
                exact.is_empty(),
                strict_ok,
                "case {case}: Exact disagrees with Strict\nexpected: {e}\nactual:   {a}\n{exact:?}"
            );
            assert_eq!(
                subset.is_empty(),
                inclusive_ok && same_len,
                "case {case}: Subset disagrees with Inclusive\nexpected: {e}\nactual:   {a}\n{subset:?}"
            );
            // Exact is stricter than Subset, and every Subset mismatch is an Exact mismatch.
            for m in &subset {
                assert!(exact.contains(m), "case {case}: {m} missing from Exact");
            }
            // describe never panics and lists every mismatch.
            if !exact.is_empty() {
                let text = describe(e, a, &exact);
                for m in &exact {
                    assert!(text.contains(&m.to_string()), "case {case}: {text}");
                }
            }

            if strict_ok {
                tally.exact_pass += 1;
            } else {
                tally.exact_fail += 1;
            }
            if subset.is_empty() && !strict_ok {
                tally.subset_only += 1;
            }
            if inclusive_ok && !same_len {
                tally.prefix_divergence += 1;
            }
        }
    }
    // The generator must produce a real mix of outcomes for the comparison to mean anything.
    eprintln!("{tally:?}");
    assert!(tally.exact_pass > tally.cases / 10, "{tally:?}");
    assert!(tally.exact_fail > tally.cases / 10, "{tally:?}");
    assert!(tally.subset_only > tally.cases / 50, "{tally:?}");
    assert!(tally.prefix_divergence > 0, "{tally:?}");
}

/// Path of a child, with the matcher's quoting rules.
fn child_key(path: &str, key: &str) -> String {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        format!("{path}.{key}")
    } else {
        format!("{path}['{key}']")
    }
}

/// Every non-root node: (path, pointer, value, is an object member).
fn nodes(v: &Value, path: &str, pointer: &str, out: &mut Vec<(String, String, Value, bool)>) {
    match v {
        Value::Object(map) => {
            for (k, c) in map {
                let p = child_key(path, k);
                let ptr = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push((p.clone(), ptr.clone(), c.clone(), true));
                nodes(c, &p, &ptr, out);
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let ptr = format!("{pointer}/{i}");
                out.push((p.clone(), ptr.clone(), c.clone(), false));
                nodes(c, &p, &ptr, out);
            }
        }
        _ => {}
    }
}

fn type_marker(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "#string",
        Value::Number(_) => "#number",
        Value::Bool(_) => "#boolean",
        Value::Array(_) => "#array",
        Value::Object(_) => "#object",
        Value::Null => "#null",
    }
}

fn wrong_type_marker(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "#number",
        _ => "#string",
    }
}

/// Replacing any part of a matching pattern with a marker that accepts the actual value keeps it
/// matching; with one that rejects it, yields exactly one mismatch at that path.
#[test]
fn markers_substituted_into_matching_patterns() {
    let mut rng = Rng(0x00C0_FFEE_0000_0002);
    let mut substitutions = 0;
    for case in 0..1500 {
        let actual = gen_value(&mut rng, 3);
        let mut all = Vec::new();
        nodes(&actual, "$", "", &mut all);
        if all.is_empty() {
            continue;
        }
        let (path, pointer, value, member) = rng.pick(&all).clone();

        let mut accepting = vec![
            "#ignore".to_owned(),
            "#present".to_owned(),
            type_marker(&value).to_owned(),
            format!("#{}", type_marker(&value)),
        ];
        if !value.is_null() {
            accepting.push("#notnull".to_owned());
        }
        if let Value::String(s) = &value {
            accepting.push(format!("#regex {}", regex::escape(s)));
            accepting.push(format!("##regex {}", regex::escape(s)));
            if s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4 {
                accepting.push("#uuid".to_owned());
            }
        }
        let mut rejecting = vec![wrong_type_marker(&value).to_owned()];
        if value.is_null() {
            rejecting.push("#notnull".to_owned());
        } else {
            rejecting.push("#null".to_owned());
            rejecting.push("#uuid".to_owned());
            rejecting.push("#regex \\d{100}".to_owned());
        }
        if member {
            rejecting.push("#notpresent".to_owned());
        }

        for mode in [MatchMode::Subset, MatchMode::Exact] {
            for marker in &accepting {
                let mut pattern = actual.clone();
                *pattern.pointer_mut(&pointer).expect("pointer") = json!(marker);
                let m = check(&pattern, &actual, mode);
                assert!(m.is_empty(), "case {case}: {marker} at {path}: {m:?}");
                substitutions += 1;
            }
            for marker in &rejecting {
                if marker == "#uuid" && value.as_str().is_some_and(|s| s.len() == 36) {
                    continue;
                }
                let mut pattern = actual.clone();
                *pattern.pointer_mut(&pointer).expect("pointer") = json!(marker);
                let m = check(&pattern, &actual, mode);
                assert_eq!(m.len(), 1, "case {case}: {marker} at {path}: {m:?}");
                assert_eq!(m[0].path, path, "case {case}: {marker}");
                substitutions += 1;
            }
        }
    }
    assert!(substitutions > 5000, "{substitutions}");
}
