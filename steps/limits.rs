//! Bounds on run options that the machine sets: how many scenarios can run at once before the
//! process runs out of file descriptors.

/// Descriptors one running scenario holds at most (its stand-in's and inbox's listeners, the
/// connections between bot, stand-in and inbox, both ends on loopback): measured at about 12
/// for the example suite, with headroom.
const FDS_PER_SCENARIO: u64 = 16;
/// Descriptors kept for everything else: feature and template files, reports, the runtime.
const FDS_RESERVED: u64 = 64;

/// The soft limit on open files, raised to the hard limit first (it costs nothing, and a low
/// soft limit is the usual default).
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
        unsafe {
            let mut limit: libc::rlimit = std::mem::zeroed();
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return None;
            }
            if limit.rlim_cur < limit.rlim_max {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    limit.rlim_cur = limit.rlim_max;
                }
            }
            #[allow(clippy::useless_conversion)] // rlim_t is not u64 on every unix
            Some(u64::try_from(limit.rlim_cur).unwrap_or(u64::MAX))
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
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
        assert_eq!(n, 60);
        let note = note.expect("a capped run says so");
        assert!(
            note.contains("--concurrency 100000") && note.contains("running 60"),
            "{note}"
        );
        assert_eq!(capped_concurrency(8, Some(1024)), (8, None));
        assert_eq!(capped_concurrency(64, None), (64, None));
        assert_eq!(capped_concurrency(64, Some(10)).0, 1, "always at least one");
        assert!(open_file_limit().is_some_and(|l| l > 0));
    }
}
