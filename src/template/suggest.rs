//! "Did you mean ...": the closest of some known names to a mistyped one (`strsim`).

/// The closest candidate to `name`, if it is close enough to be a likely typo. Names compare
/// by their last `/` part too, so `p2p` finds `v1/p2p` and a folder typo still suggests.
pub fn closest(name: &str, candidates: &[String]) -> Option<String> {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let limit = (name.chars().count() / 3).max(2);
    let similar = |cand: &str, d: usize| {
        let (short, long) = if cand.len() <= name.len() {
            (cand, name)
        } else {
            (name, cand)
        };
        d <= limit
            || base(cand) == base(name)
            || (short.chars().count() >= 3 && (long.starts_with(short) || long.ends_with(short)))
    };
    let mut best: Option<(usize, &String)> = None;
    for cand in candidates.iter().filter(|c| c.as_str() != name) {
        let d = if base(cand) == base(name) {
            0
        } else {
            strsim::levenshtein(name, cand)
        };
        if similar(cand, d) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, cand)| cand.clone())
}

/// Up to `max` candidates close to `name`, closest first (for names with many neighbours,
/// e.g. variables: `callee_nmae` → `callee_name`).
pub fn closest_few(name: &str, candidates: &[String], max: usize) -> Vec<String> {
    let mut scored: Vec<(f64, &String)> = candidates
        .iter()
        .filter(|c| c.as_str() != name)
        .map(|c| (strsim::normalized_damerau_levenshtein(name, c), c))
        .filter(|(score, _)| *score >= 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(max)
        .map(|(_, c)| c.clone())
        .collect()
}
