//! Least privilege for `osprey run`: once attached to `/dev/osprey` (which
//! needs `CAP_SYS_ADMIN`, or `CAP_PERFMON` with `CAP_SYS_PTRACE`) and before
//! any thread starts, keep only the capabilities that reading other
//! processes' state needs; capabilities are per thread, so dropping them
//! first covers every thread started later.

use anyhow::{Context, Result};
use caps::{CapSet, Capability, CapsHashSet};

/// Read any file (users, rule files, container roots) and look into other
/// processes (`/proc/PID/root`, `fd`, `exe`, `/proc/1/root`).
const KEEP: [Capability; 2] = [Capability::CAP_DAC_READ_SEARCH, Capability::CAP_SYS_PTRACE];

/// Drops every other capability from all sets (bounding included), so no
/// thread or child (program output) can regain them. Returns what is kept.
pub fn drop_to_minimum() -> Result<CapsHashSet> {
    let permitted = caps::read(None, CapSet::Permitted).context("reading capabilities")?;
    let keep: CapsHashSet = KEEP.into_iter().filter(|c| permitted.contains(c)).collect();
    if permitted.contains(&Capability::CAP_SETPCAP) {
        for cap in caps::all().difference(&keep) {
            caps::drop(None, CapSet::Bounding, *cap)
                .with_context(|| format!("dropping {cap} from the bounding set"))?;
        }
    }
    caps::clear(None, CapSet::Inheritable).context("clearing inheritable capabilities")?;
    caps::set(None, CapSet::Effective, &keep).context("setting effective capabilities")?;
    caps::set(None, CapSet::Permitted, &keep).context("setting permitted capabilities")?;
    Ok(keep)
}
