//! The matcher's unit tests: patterns, markers, unordered arrays and `describe`'s diff.

use super::diff::line_diff;
use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

const UUID: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

fn subset(e: Value, a: Value) -> Vec<String> {
    check(&e, &a, MatchMode::Subset)
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn exact(e: Value, a: Value) -> Vec<String> {
    check(&e, &a, MatchMode::Exact)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Checks `marker` as the value of key `k` against `{"k": actual}` (or `{}` when `None`).
fn marker_ok(marker: &str, actual: Option<Value>) -> bool {
    let a = match actual {
        Some(v) => json!({ "k": v }),
        None => json!({}),
    };
    let both = [MatchMode::Subset, MatchMode::Exact]
        .map(|mode| check(&json!({ "k": marker }), &a, mode).is_empty());
    assert_eq!(both[0], both[1], "modes disagree for {marker} vs {a}");
    both[0]
}

// --- negation -----------------------------------------------------------------------------

#[test]
fn not_value_refuses_that_value_only() {
    assert!(marker_ok(
        &format!("#not {UUID}"),
        Some(json!("another id"))
    ));
    assert!(!marker_ok(&format!("#not {UUID}"), Some(json!(UUID))));
    assert!(!marker_ok("#not 5", Some(json!(5))));
    assert!(!marker_ok("#not 5", Some(json!("5"))));
    assert!(marker_ok("#not 5", Some(json!(6))));
    assert!(!marker_ok("#not null", Some(Value::Null)));
    // Absent is not "another value".
    assert!(!marker_ok("#not x", None));
    assert!(marker_ok("##not x", None));
    // Without a value it is a literal string.
    assert!(marker_ok("#not", Some(json!("#not"))));
    assert!(!marker_ok("#not", Some(json!("x"))));
}

#[test]
fn not_marker_negates_the_marker() {
    assert!(marker_ok("#not #uuid", Some(json!("plain"))));
    assert!(!marker_ok("#not #uuid", Some(json!(UUID))));
    assert!(marker_ok("#not #regex ^a.*", Some(json!("banana"))));
    assert!(!marker_ok("#not #regex ^a.*", Some(json!("apple"))));
    assert!(marker_ok("#not #null", Some(json!(1))));
    assert!(!marker_ok("#not #null", Some(Value::Null)));
    // An invalid regex is never a match, negated or not.
    assert!(!marker_ok("#not #regex (", Some(json!("x"))));
}

#[test]
fn not_mismatch_names_the_path_and_what_was_refused() {
    assert_eq!(
        subset(json!({"id": format!("#not {UUID}")}), json!({"id": UUID})),
        vec![format!(
            "$.id: expected anything but \"{UUID}\", got \"{UUID}\""
        )]
    );
    assert_eq!(
        subset(
            json!({"a": {"id": "#not #uuid"}}),
            json!({"a": {"id": UUID}})
        ),
        vec![format!(
            "$.a.id: expected anything but a UUID, got \"{UUID}\""
        )]
    );
}

// --- basics -------------------------------------------------------------------------------

#[test]
fn equal_values_match() {
    let v = json!({"a": [1, "x", null, true, {"b": 2.5}]});
    assert!(check(&v, &v, MatchMode::Exact).is_empty());
    assert!(check(&v, &v, MatchMode::Subset).is_empty());
}

#[test]
fn scalar_mismatch_display() {
    assert_eq!(
        subset(
            json!({"resourceData": {"state": "established"}}),
            json!({"resourceData": {"state": "establishing"}})
        ),
        vec![r#"$.resourceData.state: expected "established", got "establishing""#]
    );
}

#[test]
fn mismatch_fields() {
    let m = check(&json!({"a": 1}), &json!({}), MatchMode::Subset);
    assert_eq!(
        m,
        vec![Mismatch {
            path: "$.a".into(),
            expected: "1".into(),
            actual: "(absent)".into()
        }]
    );
}

#[test]
fn root_scalar_mismatch() {
    assert_eq!(
        subset(json!("a"), json!("b")),
        vec![r#"$: expected "a", got "b""#]
    );
    assert_eq!(
        subset(json!(null), json!(false)),
        vec!["$: expected null, got false"]
    );
}

#[test]
fn type_mismatches() {
    assert_eq!(
        subset(json!({"a": {"b": 1}}), json!({"a": 5})),
        vec!["$.a: expected an object, got 5"]
    );
    assert_eq!(
        subset(json!({"a": [1]}), json!({"a": {"0": 1}})),
        vec![r#"$.a: expected an array, got {"0":1}"#]
    );
    assert_eq!(
        subset(json!({"a": "1"}), json!({"a": 1})),
        vec![r#"$.a: expected "1", got 1"#]
    );
    assert_eq!(
        subset(json!({"a": {}}), json!({})),
        vec!["$.a: expected an object, got (absent)"]
    );
}

#[test]
fn numbers_compare_by_value() {
    assert!(subset(json!({"a": 1}), json!({"a": 1.0})).is_empty());
    assert!(exact(json!([1.0, -2, 0]), json!([1, -2.0, 0.0])).is_empty());
    assert!(subset(json!(u64::MAX), json!(u64::MAX)).is_empty());
    assert_eq!(subset(json!(1), json!(1.5)), vec!["$: expected 1, got 1.5"]);
    assert_eq!(subset(json!(-1), json!(u64::MAX)).len(), 1);
    // Large integers are not compared through f64.
    assert_eq!(
        subset(
            json!(9_007_199_254_740_993u64),
            json!(9_007_199_254_740_992u64)
        )
        .len(),
        1
    );
}

#[test]
fn long_actual_values_are_shortened() {
    let long = "x".repeat(500);
    let m = check(&json!("a"), &json!(long), MatchMode::Subset);
    assert_eq!(m.len(), 1);
    assert!(m[0].actual.ends_with("..."));
    assert_eq!(m[0].actual.chars().count(), MAX_RENDER);
}

// --- modes ----------------------------------------------------------------------------------

#[test]
fn subset_allows_extra_keys_at_every_depth() {
    let e = json!({"a": {"b": {"c": 1}}, "l": [{"x": 1}]});
    let a = json!({"a": {"b": {"c": 1, "d": 2}, "e": 3}, "f": 4, "l": [{"x": 1, "y": 2}]});
    assert!(check(&e, &a, MatchMode::Subset).is_empty());
    assert_eq!(
        exact(e, a),
        vec![
            "$.a.b.d: expected (absent), got 2",
            "$.a.e: expected (absent), got 3",
            "$.l[0].y: expected (absent), got 2",
            "$.f: expected (absent), got 4",
        ]
    );
}

#[test]
fn exact_reports_unexpected_root_key() {
    assert_eq!(
        exact(json!({}), json!({"foo": 1})),
        vec!["$.foo: expected (absent), got 1"]
    );
}

#[test]
fn missing_keys_fail_in_both_modes() {
    let e = json!({"a": {"b": 1, "c": 2}});
    let a = json!({"a": {"b": 1}});
    assert_eq!(
        subset(e.clone(), a.clone()),
        vec!["$.a.c: expected 2, got (absent)"]
    );
    assert_eq!(exact(e, a), vec!["$.a.c: expected 2, got (absent)"]);
}

#[test]
fn check_at_uses_root() {
    let m = check_at(
        "notification 3",
        &json!({"a": [1]}),
        &json!({"a": [2]}),
        MatchMode::Subset,
    );
    assert_eq!(m[0].to_string(), "notification 3.a[0]: expected 1, got 2");
    let m = check_at("$.value[2]", &json!({"a": 1}), &json!({}), MatchMode::Exact);
    assert_eq!(m[0].path, "$.value[2].a");
}

// --- paths ----------------------------------------------------------------------------------

#[test]
fn path_quoting() {
    assert_eq!(
        subset(json!({"@odata.type": "x"}), json!({"@odata.type": "y"})),
        vec![r#"$['@odata.type']: expected "x", got "y""#]
    );
    assert_eq!(
        subset(
            json!({"resourceData": {"@odata.type": "x"}}),
            json!({"resourceData": {"@odata.type": "y"}})
        ),
        vec![r#"$.resourceData['@odata.type']: expected "x", got "y""#]
    );
    assert_eq!(
        subset(
            json!({"it's": 1, "a b": 1, "1a": 1, "": 1, "_ok9": 1}),
            json!({})
        ),
        vec![
            r"$['it\'s']: expected 1, got (absent)",
            "$['a b']: expected 1, got (absent)",
            "$['1a']: expected 1, got (absent)",
            "$['']: expected 1, got (absent)",
            "$._ok9: expected 1, got (absent)",
        ]
    );
}

#[test]
fn array_paths() {
    assert_eq!(
        subset(
            json!({"targets": [{"identity": {"user": {"id": "a"}}}]}),
            json!({"targets": [{"identity": {"user": {"id": "b"}}}]})
        ),
        vec![r#"$.targets[0].identity.user.id: expected "a", got "b""#]
    );
}

// --- arrays ---------------------------------------------------------------------------------

#[test]
fn array_length_mismatch_plus_prefix_elements() {
    assert_eq!(
        subset(json!({"a": [1, 2]}), json!({"a": [1, 3, 4]})),
        vec![
            "$.a: expected 2 elements, got 3",
            "$.a[1]: expected 2, got 3"
        ]
    );
    assert_eq!(
        subset(json!([1]), json!([])),
        vec!["$: expected 1 element, got 0"]
    );
    assert!(subset(json!([]), json!([])).is_empty());
}

#[test]
fn array_order_matters_by_default() {
    assert_eq!(
        subset(json!([1, 2]), json!([2, 1])),
        vec!["$[0]: expected 1, got 2", "$[1]: expected 2, got 1"]
    );
}

#[test]
fn contains_any_order_and_extra_elements() {
    let e = json!({"l": ["#contains", 3, 1]});
    let a = json!({"l": [1, 2, 3]});
    assert!(check(&e, &a, MatchMode::Subset).is_empty());
    assert!(check(&e, &a, MatchMode::Exact).is_empty());
    assert!(subset(json!(["#contains"]), json!([])).is_empty());
    assert_eq!(
        subset(json!(["#contains"]), json!({})),
        vec!["$: expected an array, got {}"]
    );
}

#[test]
fn contains_needs_distinct_elements() {
    assert_eq!(
        subset(json!(["#contains", 1, 1]), json!([1, 2])),
        vec![
            "$[#contains 2]: expected an element matching 1, got no unused element \
             (each element it matches is taken by another pattern)"
        ]
    );
    assert!(subset(json!(["#contains", 1, 1]), json!([1, 2, 1])).is_empty());
}

#[test]
fn contains_backtracks() {
    let e = json!(["#contains", {"a": 1}, {}]);
    // `{}` matches any object, but `{"a":1}` needs the only element: fails.
    assert_eq!(
        subset(e.clone(), json!([{"a": 1}])),
        vec![
            "$[#contains 2]: expected an element matching {}, got no unused element \
             (each element it matches is taken by another pattern)"
        ]
    );
    assert!(subset(e.clone(), json!([{"a": 1}, {"b": 2}])).is_empty());
    assert!(subset(e, json!([{"b": 2}, {"a": 1}])).is_empty());
    // The reverse pattern order needs an augmenting path: `{}` first grabs element 0.
    let e = json!(["#contains", {}, {"a": 1}]);
    assert!(subset(e.clone(), json!([{"a": 1}, {"b": 2}])).is_empty());
    assert!(subset(e, json!([{"b": 2}, {"a": 1}])).is_empty());
}

#[test]
fn contains_reports_closest_candidate() {
    let e = json!({"value": ["#contains", {"id": "x", "state": "established"}]});
    let a = json!({"value": [
        {"id": "y", "state": "idle"},
        {"id": "x", "state": "establishing"},
        7
    ]});
    assert_eq!(
        subset(e, a),
        vec![
            r#"$.value[#contains 1]: expected an element matching {"id":"x","state":"established"}, got no match among 3 elements"#,
            r#"$.value[1].state: expected "established", got "establishing""#,
        ]
    );
    // Scalar patterns get no closest-candidate noise.
    // Ties go to the element that has the pattern's keys.
    assert_eq!(
        subset(json!(["#contains", {"a": 1}]), json!([{"b": 1}, {"a": 2}])),
        vec![
            r#"$[#contains 1]: expected an element matching {"a":1}, got no match among 2 elements"#,
            "$[1].a: expected 1, got 2",
        ]
    );
    assert_eq!(
        subset(json!(["#contains", 5]), json!([1, 2])),
        vec!["$[#contains 1]: expected an element matching 5, got no match among 2 elements"]
    );
}

#[test]
fn contains_in_exact_mode_applies_exact_inside_elements() {
    let e = json!(["#contains", {"a": 1}]);
    assert!(subset(e.clone(), json!([{"a": 1, "b": 2}])).is_empty());
    assert_eq!(
        exact(e, json!([{"a": 1, "b": 2}])),
        vec![
            r#"$[#contains 1]: expected an element matching {"a":1}, got no match among 1 element"#,
            "$[0].b: expected (absent), got 2",
        ]
    );
}

#[test]
fn anyorder() {
    let e = json!(["#anyorder", 1, {"a": "#uuid"}, "x"]);
    assert!(subset(e.clone(), json!(["x", 1, {"a": UUID}])).is_empty());
    assert_eq!(
        subset(e.clone(), json!(["x", 1, {"a": UUID}, 2])),
        vec!["$: expected 3 elements, got 4"]
    );
    assert_eq!(
        subset(e.clone(), json!(["x", 1])),
        vec![
            "$: expected 3 elements, got 2",
            r##"$[#anyorder 2]: expected an element matching {"a":"#uuid"}, got no match among 2 elements"##,
        ]
    );
    assert_eq!(
        subset(e, json!(["x", 1, "y"])),
        vec![
            r##"$[#anyorder 2]: expected an element matching {"a":"#uuid"}, got no match among 3 elements"##
        ]
    );
    assert!(subset(json!(["#anyorder"]), json!([])).is_empty());
    assert_eq!(subset(json!(["#anyorder"]), json!([1])).len(), 1);
}

#[test]
fn contains_only_as_first_element() {
    // Elsewhere it is a literal string.
    assert!(subset(json!([1, "#contains"]), json!([1, "#contains"])).is_empty());
    assert_eq!(subset(json!([1, "#contains"]), json!([1, 2])).len(), 1);
    assert!(subset(json!({"a": "#anyorder"}), json!({"a": "#anyorder"})).is_empty());
    assert_eq!(subset(json!({"a": "#anyorder"}), json!({"a": []})).len(), 1);
}

#[test]
fn nested_unordered_arrays() {
    let e = json!({"p": ["#contains", {"tags": ["#anyorder", "b", "a"]}]});
    assert!(subset(
        e.clone(),
        json!({"p": [{"tags": []}, {"tags": ["a", "b"]}]})
    )
    .is_empty());
    assert!(!subset(e, json!({"p": [{"tags": ["a", "c"]}]})).is_empty());
}

// --- markers --------------------------------------------------------------------------------

#[test]
fn marker_ignore() {
    for v in [
        json!(null),
        json!(1),
        json!("s"),
        json!([1]),
        json!({"a": 1}),
    ] {
        assert!(marker_ok("#ignore", Some(v)));
    }
    assert!(marker_ok("#ignore", None));
    assert!(subset(json!("#ignore"), json!({"x": 1})).is_empty());
}

#[test]
fn marker_present_notpresent() {
    assert!(marker_ok("#present", Some(json!(null))));
    assert!(marker_ok("#present", Some(json!({}))));
    assert!(!marker_ok("#present", None));
    assert!(marker_ok("#notpresent", None));
    assert!(!marker_ok("#notpresent", Some(json!(null))));
    assert_eq!(
        subset(json!({"k": "#present"}), json!({})),
        vec!["$.k: expected present, got (absent)"]
    );
    assert_eq!(
        subset(json!({"k": "#notpresent"}), json!({"k": 1})),
        vec!["$.k: expected absent, got 1"]
    );
    // At the root, a value is always present.
    assert!(subset(json!("#present"), json!(null)).is_empty());
    assert_eq!(
        subset(json!("#notpresent"), json!(1)),
        vec!["$: expected absent, got 1"]
    );
    // As an array element, #notpresent never matches.
    assert_eq!(subset(json!(["#notpresent"]), json!([1])).len(), 1);
}

#[test]
fn marker_null_notnull() {
    assert!(marker_ok("#null", Some(json!(null))));
    assert!(!marker_ok("#null", Some(json!(0))));
    assert!(!marker_ok("#null", Some(json!(""))));
    // Absent is not null.
    assert!(!marker_ok("#null", None));
    assert_eq!(
        subset(json!({"k": "#null"}), json!({})),
        vec!["$.k: expected null, got (absent)"]
    );
    assert!(marker_ok("#notnull", Some(json!(0))));
    assert!(marker_ok("#notnull", Some(json!(false))));
    assert!(!marker_ok("#notnull", Some(json!(null))));
    assert!(!marker_ok("#notnull", None));
    assert_eq!(
        subset(json!({"k": "#notnull"}), json!({"k": null})),
        vec!["$.k: expected not null, got null"]
    );
}

#[test]
fn marker_types() {
    let values = [
        ("#string", json!("s")),
        ("#number", json!(1.5)),
        ("#boolean", json!(false)),
        ("#array", json!([])),
        ("#object", json!({})),
    ];
    for (marker, good) in &values {
        assert!(marker_ok(marker, Some(good.clone())), "{marker} vs {good}");
        assert!(!marker_ok(marker, None), "{marker} vs absent");
        assert!(!marker_ok(marker, Some(json!(null))), "{marker} vs null");
        for (other, bad) in &values {
            if other != marker {
                assert!(!marker_ok(marker, Some(bad.clone())), "{marker} vs {bad}");
            }
        }
    }
    assert!(marker_ok("#number", Some(json!(-3))));
    assert_eq!(
        subset(json!({"k": "#string"}), json!({"k": 1})),
        vec!["$.k: expected a string, got 1"]
    );
    assert_eq!(
        subset(json!({"k": "#array"}), json!({"k": "[]"})),
        vec![r#"$.k: expected an array, got "[]""#]
    );
}

#[test]
fn marker_uuid() {
    assert!(marker_ok("#uuid", Some(json!(UUID))));
    assert!(marker_ok("#uuid", Some(json!(UUID.to_uppercase()))));
    assert!(marker_ok(
        "#uuid",
        Some(json!("00000000-0000-0000-0000-000000000000"))
    ));
    for bad in [
        json!("3f2504e04f8911d39a0c0305e82c3301"),
        json!("{3f2504e0-4f89-11d3-9a0c-0305e82c3301}"),
        json!("3f2504e0-4f89-11d3-9a0c-0305e82c330"),
        json!("3f2504e0-4f89-11d3-9a0c-0305e82c33011"),
        json!("3f2504e0-4f89-11d3-9a0c0-305e82c3301"),
        json!("gf2504e0-4f89-11d3-9a0c-0305e82c3301"),
        json!(" 3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        json!(1),
        json!(null),
    ] {
        assert!(!marker_ok("#uuid", Some(bad.clone())), "{bad}");
    }
    assert!(!marker_ok("#uuid", None));
    assert_eq!(
        subset(json!({"id": "#uuid"}), json!({"id": "abc"})),
        vec![r#"$.id: expected a UUID, got "abc""#]
    );
}

#[test]
fn marker_regex_is_anchored() {
    assert!(marker_ok("#regex abc", Some(json!("abc"))));
    assert!(!marker_ok("#regex abc", Some(json!("xabc"))));
    assert!(!marker_ok("#regex abc", Some(json!("abcx"))));
    assert!(marker_ok("#regex a|ab", Some(json!("ab"))));
    assert!(!marker_ok("#regex a|b", Some(json!("ab"))));
    assert!(marker_ok("#regex ^a.*$", Some(json!("a\u{e9}"))));
    assert!(marker_ok("#regex ", Some(json!(""))));
    assert!(marker_ok("#regex  x", Some(json!(" x"))));
    assert!(!marker_ok("#regex \\d+", Some(json!(12))));
    assert!(!marker_ok("#regex .*", None));
    assert!(!marker_ok("#regex .*", Some(json!(null))));
    assert_eq!(
        subset(json!({"k": "#regex ^abc$"}), json!({"k": "abd"})),
        vec![r#"$.k: expected a string matching ^abc$, got "abd""#]
    );
}

#[test]
fn invalid_regex_is_a_mismatch_not_a_panic() {
    let m = check(
        &json!({"k": "#regex ("}),
        &json!({"k": "("}),
        MatchMode::Subset,
    );
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].path, "$.k");
    assert!(m[0].expected.contains("invalid regex"), "{}", m[0].expected);
    assert!(!m[0].expected.contains('\n'));
    assert_eq!(m[0].actual, r#""(""#);
    // Text that would become a valid regex only once wrapped is still rejected.
    assert_eq!(subset(json!("#regex a)|(b"), json!("a")).len(), 1);
    // Even optional, even absent: the pattern itself is wrong.
    assert!(!marker_ok("##regex [", None));
    assert!(!marker_ok("##regex [", Some(json!(null))));
}

#[test]
fn optional_markers() {
    assert!(marker_ok("##uuid", None));
    assert!(marker_ok("##uuid", Some(json!(null))));
    assert!(marker_ok("##uuid", Some(json!(UUID))));
    assert!(!marker_ok("##uuid", Some(json!("nope"))));
    assert!(marker_ok("##regex ^a", Some(json!("a"))));
    assert!(!marker_ok("##regex ^a", Some(json!("ab"))));
    assert!(marker_ok("##regex ^a", None));
    assert!(marker_ok("##string", Some(json!("s"))));
    assert!(!marker_ok("##string", Some(json!(1))));
    assert!(marker_ok("##object", None));
    assert_eq!(
        subset(json!({"k": "##uuid"}), json!({"k": 5})),
        vec!["$.k: expected absent, null or a UUID, got 5"]
    );
    // `##` needs a valid marker after it.
    assert!(!marker_ok("##foo", None));
    assert!(!marker_ok("###uuid", None));
    assert!(marker_ok("###uuid", Some(json!("###uuid"))));
}

#[test]
fn markers_in_arrays_and_root() {
    assert!(subset(
        json!(["#uuid", "#number", "##string"]),
        json!([UUID, 3, null])
    )
    .is_empty());
    assert_eq!(
        subset(json!(["#uuid", "#number"]), json!([UUID, "3"])),
        vec![r#"$[1]: expected a number, got "3""#]
    );
    assert!(subset(json!("#uuid"), json!(UUID)).is_empty());
    assert_eq!(
        subset(json!("#object"), json!([])),
        vec!["$: expected an object, got []"]
    );
}

#[test]
fn literals_starting_with_hash() {
    let lit = json!({"@odata.type": "#microsoft.graph.call"});
    assert!(subset(lit.clone(), lit.clone()).is_empty());
    assert_eq!(
        subset(lit, json!({"@odata.type": "#microsoft.graph.participant"})),
        vec![
            r##"$['@odata.type']: expected "#microsoft.graph.call", got "#microsoft.graph.participant""##
        ]
    );
    // Near-misses of markers are literals: case, whitespace, unknown names, bare #regex.
    for lit in [
        "#UUID",
        "#uuid ",
        " #uuid",
        "#Ignore",
        "#regex",
        "#regexabc",
        "#",
        "##",
    ] {
        assert!(subset(json!(lit), json!(lit)).is_empty(), "{lit:?}");
        assert_eq!(subset(json!(lit), json!(UUID)).len(), 1, "{lit:?}");
    }
}

#[test]
fn actual_strings_are_never_markers() {
    assert_eq!(subset(json!("x"), json!("#ignore")).len(), 1);
    assert_eq!(subset(json!({"a": 1}), json!({"a": "#ignore"})).len(), 1);
    assert!(subset(json!("#regex ^#.*$"), json!("#ignore")).is_empty());
}

// --- describe -------------------------------------------------------------------------------

#[test]
fn describe_lists_mismatches_and_diff_without_marker_noise() {
    let e = json!({
        "id": "#uuid",
        "resourceData": {"@odata.type": "#microsoft.graph.call", "state": "established",
                         "optional": "##string"},
        "ignored": "#ignore",
        "count": 1,
    });
    let a = json!({
        "id": UUID,
        "resourceData": {"@odata.type": "#microsoft.graph.call", "state": "establishing",
                         "extra": [1, 2]},
        "ignored": {"deep": true},
        "count": 1.0,
        "more": "stuff",
    });
    let mismatches = check(&e, &a, MatchMode::Subset);
    assert_eq!(mismatches.len(), 1);
    let text = describe(&e, &a, &mismatches);
    assert!(text.starts_with("1 mismatch:\n"), "{text}");
    assert!(
        text.contains(r#"  $.resourceData.state: expected "established", got "establishing""#),
        "{text}"
    );
    assert!(text.contains("-    \"state\": \"established\","), "{text}");
    assert!(text.contains("+    \"state\": \"establishing\","), "{text}");
    // Matched markers, ignored parts and extra keys are not noise in the diff.
    assert!(!text.contains("#uuid"), "{text}");
    assert!(!text.contains("#ignore"), "{text}");
    assert!(!text.contains("##string"), "{text}");
    let changed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with('-') || l.starts_with('+'))
        .collect();
    assert_eq!(changed.len(), 2, "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI escapes: {text}");
}

#[test]
fn describe_exact_mode_shows_extra_keys() {
    let e = json!({"a": "#number", "b": {"c": 1}});
    let a = json!({"a": 3, "b": {"c": 1, "d": 2}});
    let mismatches = check(&e, &a, MatchMode::Exact);
    let text = describe(&e, &a, &mismatches);
    assert!(text.contains("  $.b.d: expected (absent), got 2"), "{text}");
    assert!(text.contains("+    \"d\": 2"), "{text}");
    assert!(!text.contains("#number"), "{text}");
}

#[test]
fn describe_failed_marker_and_missing_key() {
    let e = json!({"id": "#uuid", "gone": "#present", "opt": "##uuid"});
    let a = json!({"id": "nope"});
    let mismatches = check(&e, &a, MatchMode::Subset);
    let text = describe(&e, &a, &mismatches);
    assert!(text.starts_with("2 mismatches:\n"), "{text}");
    assert!(
        text.contains(r#"  $.id: expected a UUID, got "nope""#),
        "{text}"
    );
    assert!(
        text.contains("  $.gone: expected present, got (absent)"),
        "{text}"
    );
    assert!(text.contains(r##"-  "id": "#uuid","##), "{text}");
    assert!(text.contains(r#"+  "id": "nope""#), "{text}");
    assert!(text.contains(r##"-  "gone": "#present""##), "{text}");
    // An absent-allowed key stays out of the diff.
    assert!(!text.contains("opt"), "{text}");
}

#[test]
fn describe_unordered_arrays() {
    let e = json!({"l": ["#contains", {"a": "#number"}, {"b": 2}]});
    let a = json!({"l": [{"z": 0}, {"b": 3}, {"a": 7}]});
    let mismatches = check(&e, &a, MatchMode::Subset);
    let text = describe(&e, &a, &mismatches);
    assert!(text.contains("$.l[#contains 2]"), "{text}");
    assert!(!text.contains("#number"), "{text}");
    assert!(!text.contains("#contains\""), "{text}");
    let removed: Vec<&str> = text.lines().filter(|l| l.starts_with('-')).collect();
    assert!(removed.iter().any(|l| l.contains("\"b\": 2")), "{text}");
    assert!(!removed.iter().any(|l| l.contains("\"a\"")), "{text}");
    // The unmatched pattern is shown against its closest element, `{"b": 3}`.
    assert!(
        text.contains("-      \"b\": 2\n+      \"b\": 3\n"),
        "{text}"
    );
}

#[test]
fn describe_with_no_mismatches() {
    let text = describe(&json!({"a": "#ignore"}), &json!({"a": 1}), &[]);
    assert!(text.starts_with("no mismatches"), "{text}");
    assert!(text.contains("no textual difference"), "{text}");
}

#[test]
fn line_diff_folds_unchanged_runs() {
    let left: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
    let mut right = left.clone();
    right[15] = "changed".into();
    let d = line_diff(&left.join("\n"), &right.join("\n"));
    assert_eq!(
        d,
        " ... (12 unchanged lines)\n line 12\n line 13\n line 14\n-line 15\n+changed\n \
         line 16\n line 17\n line 18\n ... (11 unchanged lines)\n"
    );
}

#[test]
fn line_diff_insertions_and_deletions() {
    let d = line_diff("a\nb\nc", "a\nc\nd");
    assert_eq!(d, " a\n-b\n c\n+d\n");
    assert_eq!(line_diff("", "x"), "+x\n");
}
