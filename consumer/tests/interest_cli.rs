//! `osprey run --print-interest`: the syscalls the kernel is told to
//! deliver, each with the rules and state tracking that need it and the
//! predicates pushed into the kernel. It needs no kernel module.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const RULES: &str = r#"
- rule: Parent Asked
  desc: a getppid from a named process
  condition: evt.type = getppid and proc.name = probe
  output: "getppid (proc=%proc.name)"
  priority: NOTICE
- rule: Directory Made Under Etc
  desc: a directory made below /etc
  condition: evt.type in (mkdir, mkdirat) and evt.rawres = 0 and evt.arg.path startswith /etc/
  output: "mkdir (path=%evt.arg.path)"
  priority: WARNING
- rule: Mount In A Container
  desc: a mount from a container
  condition: evt.type = mount and container.id != host
  output: "mount (container=%container.id)"
  priority: WARNING
"#;

/// The printed lines by syscall name.
fn print_interest(extra: &[&str]) -> BTreeMap<String, String> {
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("osprey-interest-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, RULES).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_osprey"))
        .args(["run", "--print-interest", "--rules"])
        .arg(&rules)
        .args(extra)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, why) = line.split_once(' ').unwrap_or((line, ""));
            (name.to_string(), why.trim().to_string())
        })
        .collect()
}

#[test]
fn each_syscall_says_which_rules_and_state_need_it() {
    let set = print_interest(&[]);
    let why = |name: &str| set.get(name).unwrap_or_else(|| panic!("{name} is not in the set: {set:#?}"));
    assert_eq!(why("getppid"), "rule: Parent Asked");
    for mkdir in ["mkdir", "mkdirat"] {
        assert!(why(mkdir).starts_with("rule: Directory Made Under Etc"), "{}", why(mkdir));
    }
    // No rule reads them, but the process and descriptor tables do.
    assert!(why("openat").starts_with("state"), "{}", why("openat"));
    assert!(why("clone").starts_with("state"), "{}", why("clone"));
    assert_eq!(why("procexit"), "state: process table");
    // Neither a rule nor the state reads these: the kernel drops them.
    for unread in ["read", "write", "getpid", "nanosleep"] {
        assert!(!set.contains_key(unread), "{unread}: {}", set[unread]);
    }
}

#[test]
fn the_predicates_pushed_into_the_kernel_are_named_with_their_reason() {
    let set = print_interest(&[]);
    let success_only = "in-kernel predicate: successful exits only (no rule matches a failure)";
    // evt.rawres = 0: a failure cannot match.
    assert!(set["mkdir"].contains(success_only), "{}", set["mkdir"]);
    // Nothing in the rule excludes a failed getppid.
    assert!(!set["getppid"].contains("in-kernel predicate"), "{}", set["getppid"]);
    assert!(
        set["mount"].contains("in-kernel predicate: container processes only (no rule matches a host process"),
        "{}",
        set["mount"]
    );
    // No rule here reads an open: only what the state needs is delivered.
    assert!(set["openat"].contains("else only where no rule matches an open"), "{}", set["openat"]);

    let unfiltered = print_interest(&["--no-kernel-predicates"]);
    assert_eq!(unfiltered.keys().collect::<Vec<_>>(), set.keys().collect::<Vec<_>>(), "the same syscalls");
    assert!(unfiltered.values().all(|why| !why.contains("in-kernel predicate")), "{unfiltered:#?}");
}
