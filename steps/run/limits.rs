//! Bounds on run options that the machine sets: how many scenarios can run at once before the
//! process runs out of file descriptors.

/// Descriptors one running scenario holds at most: its connections to the run's one stand-in
/// server and one inbox server, both ends on loopback. Measured at about 3 for the example suite
/// at concurrency 64 (194 descriptors in all); 4 proved too few under `ulimit -n 256` once a
/// call's notifications came in bursts (deliveries failed), so twice that.
const FDS_PER_SCENARIO: u64 = 8;
/// Descriptors kept for everything else: the servers' listeners, feature and template files,
/// reports, the runtime.
const FDS_RESERVED: u64 = 64;

/// The soft limit on open files, raised to the hard limit first (it costs nothing, and a low
/// soft limit is the usual default).
pub fn open_file_limit() -> Option<u64> {
    Some(callspec::graph::raise_fd_limit())
}

/// The concurrency a run can afford with `fd_limit` open files: `requested`, or less and a note
/// saying why.
pub fn capped_concurrency(requested: usize, fd_limit: Option<u64>) -> (usize, Option<String>) {
    let Some(limit) = fd_limit else {
        return (requested, None);
    };
    let affordable = (limit.saturating_sub(FDS_RESERVED) / FDS_PER_SCENARIO).max(1);
    let affordable = usize::try_from(affordable).unwrap_or(usize::MAX);
    if requested <= affordable {
        return (requested, None);
    }
    let note = format!(
        "callspec: --concurrency {requested} needs more open files than the limit of {limit} \
         allows (about {FDS_PER_SCENARIO} per scenario); running {affordable} scenarios at a \
         time (raise the limit with `ulimit -n` for more)"
    );
    (affordable, Some(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_is_capped_by_the_descriptor_limit_and_says_so() {
        let (n, note) = capped_concurrency(100_000, Some(1024));
        assert_eq!(n, 120);
        let note = note.expect("a capped run says so");
        assert!(
            note.contains("--concurrency 100000") && note.contains("running 120"),
            "{note}"
        );
        assert_eq!(capped_concurrency(8, Some(1024)), (8, None));
        assert_eq!(capped_concurrency(64, None), (64, None));
        assert_eq!(capped_concurrency(64, Some(10)).0, 1, "always at least one");
        assert!(open_file_limit().is_some_and(|l| l > 0));
    }
}
