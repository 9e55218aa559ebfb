//! Cucumber's own rule (cucumber-js, Cucumber-JVM): a step is matched by its text, whatever its
//! keyword. cucumber-rs keeps a collection per keyword, so `And the callee answers after 3
//! seconds` after a `When` would look among the When steps only and not be found. Each step
//! that no definition of its own keyword matches is given the keyword of the first kind (Given,
//! When, Then) that has a definition for its text; its written keyword is kept for display.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use cucumber::gherkin::{Feature, Step, StepType};
use cucumber::World as _;

use crate::world::CallWorld;

const KINDS: [StepType; 3] = [StepType::Given, StepType::When, StepType::Then];

/// The feature with every step typed as the definition its text matches.
pub fn match_any_keyword(mut feature: Feature) -> Feature {
    let retype = |steps: &mut Vec<Step>| {
        for step in steps {
            if let Some(kind) = kind_for(step) {
                step.ty = kind;
            }
        }
    };
    if let Some(background) = &mut feature.background {
        retype(&mut background.steps);
    }
    for scenario in &mut feature.scenarios {
        retype(&mut scenario.steps);
    }
    for rule in &mut feature.rules {
        if let Some(background) = &mut rule.background {
            retype(&mut background.steps);
        }
        for scenario in &mut rule.scenarios {
            retype(&mut scenario.steps);
        }
    }
    feature
}

/// The kind whose definitions match the step: its own when one does (or when the text is
/// ambiguous there: the run reports it), else the first other kind with exactly one match.
fn kind_for(step: &Step) -> Option<StepType> {
    static COLLECTION: OnceLock<cucumber::step::Collection<CallWorld>> = OnceLock::new();
    // Suites repeat their steps: each (kind, text) is looked up once (bounded memo).
    type Memo = HashMap<(u8, String), Option<StepType>>;
    static MEMO: Mutex<Option<Memo>> = Mutex::new(None);
    const REMEMBERED: usize = 4096;
    let index = |ty: StepType| KINDS.iter().position(|k| *k == ty).unwrap_or(0) as u8;
    let key = (index(step.ty), step.value.clone());
    if let Some(found) = MEMO
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(Memo::new)
        .get(&key)
    {
        return *found;
    }
    let collection = COLLECTION.get_or_init(CallWorld::collection);
    let mut probe = step.clone();
    let found = if !matches!(collection.find(&probe), Ok(None)) {
        Some(step.ty)
    } else {
        KINDS.into_iter().filter(|k| *k != step.ty).find(|kind| {
            probe.ty = *kind;
            matches!(collection.find(&probe), Ok(Some(_)))
        })
    };
    let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
    let memo = memo.get_or_insert_with(Memo::new);
    if memo.len() >= REMEMBERED {
        memo.clear();
    }
    memo.insert(key, found);
    found
}
