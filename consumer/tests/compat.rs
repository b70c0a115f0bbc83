//! Falco's public rulesets and rule-loader cases (shared/compat, beside the
//! repository) against Osprey's loader and compiler.

use std::path::{Path, PathBuf};

use osprey::rules::compile::compile;
use osprey::rules::loader::{RuleSet, Severity};

fn compat() -> PathBuf {
    let dir = std::env::var_os("OSPREY_COMPAT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat"));
    assert!(dir.is_dir(), "compat data not found at {} (set OSPREY_COMPAT)", dir.display());
    dir
}

fn load(files: &[PathBuf]) -> RuleSet {
    let mut rs = RuleSet::default();
    rs.load_files(files);
    compile(&mut rs);
    rs
}

fn errors(rs: &RuleSet) -> Vec<String> {
    rs.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.to_string()).collect()
}

#[test]
fn falco_rulesets_load_alone_and_together() {
    let dir = compat().join("falco-rules");
    let files = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"].map(|f| dir.join(f));
    for f in &files {
        let rs = load(std::slice::from_ref(f));
        assert!(errors(&rs).is_empty(), "{}:\n{}", f.display(), errors(&rs).join("\n"));
        assert!(!rs.rules.is_empty());
    }
    let rs = load(&files);
    assert!(errors(&rs).is_empty(), "{}", errors(&rs).join("\n"));
    assert!(rs.rules.len() >= 25 + 31 + 37 - 5, "{} rules", rs.rules.len());
}

/// The rules Falco 0.40.0 pins (3.2.0, beside the compat data in
/// `falco-peer`): their outputs end in Falco's `%container.info`.
#[test]
fn falco_rules_of_falco_0_40_load() {
    let dir = compat().join("../falco-peer/rules-3.2.0");
    let files = ["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"].map(|f| dir.join(f));
    let rs = load(&files);
    assert!(errors(&rs).is_empty(), "{}", errors(&rs).join("\n"));
    let ptrace = rs.rules.get("PTRACE attached to process").expect("a stable rule");
    assert!(ptrace.output.contains("%container.info"), "the placeholder is Falco's to expand: {}", ptrace.output);
}

#[test]
fn k8s_audit_ruleset_loads() {
    let rs = load(&[compat().join("k8s-audit/k8s_audit_rules.yaml")]);
    assert!(errors(&rs).is_empty(), "{}", errors(&rs).join("\n"));
    assert_eq!(rs.rules.len(), 48);
}

/// Every valid loader case loads; files written as a second file load after
/// the base they extend.
#[test]
fn valid_loader_cases_load() {
    let dir = compat().join("falco-rule-loader-cases");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap().chain(std::fs::read_dir(dir.join("exceptions")).unwrap()) {
        let path = entry.unwrap().path();
        let name = path.strip_prefix(&dir).unwrap().to_string_lossy().to_string();
        if path.extension().is_none_or(|e| e != "yaml") || INVALID.iter().any(|(f, _)| *f == name) {
            continue;
        }
        let files = match name.as_str() {
            "double_rule.yaml" | "append_single_rule.yaml" => {
                vec![dir.join("single_rule.yaml"), path.clone()]
            }
            _ => vec![path.clone()],
        };
        let rs = load(&files);
        assert!(errors(&rs).is_empty(), "{name}: {}", errors(&rs).join("\n"));
        checked += 1;
    }
    assert!(checked >= 55, "only {checked} valid cases found");
}

/// Each invalid case is rejected with a message naming the item and reason.
#[test]
fn invalid_loader_cases_are_rejected_with_reasons() {
    let dir = compat().join("falco-rule-loader-cases");
    for (file, want) in INVALID {
        let rs = load(&[dir.join(file)]);
        let errs = errors(&rs);
        assert!(errs.iter().any(|e| e.contains(file) && e.contains(want)), "{file}: want '{want}' in {errs:#?}");
    }
    // The "base" files are valid alone and rejected with what extends them.
    for (base, ext, want) in [
        ("invalid_base_macro.yaml", "invalid_append_macro.yaml", "macro 'some macro'"),
        ("invalid_base_macro.yaml", "invalid_overwrite_macro.yaml", "undefined macro 'foo'"),
        ("invalid_base_rule.yaml", "invalid_append_rule.yaml", "rule 'some rule'"),
        ("invalid_base_rule.yaml", "invalid_overwrite_rule.yaml", "undefined macro 'bar'"),
    ] {
        assert!(errors(&load(&[dir.join(base)])).is_empty(), "{base}");
        let errs = errors(&load(&[dir.join(base), dir.join(ext)]));
        assert!(errs.iter().any(|e| e.contains(want)), "{base}+{ext}: {errs:#?}");
    }
}

const INVALID: &[(&str, &str)] = &[
    ("engine_version_mismatch.yaml", "required_engine_version '9999999': rules require engine version"),
    ("invalid_append_macro.yaml", "macro 'some macro': macro has 'append'"),
    ("invalid_append_macro_dangling.yaml", "macro 'dangling append': macro has 'append'"),
    ("invalid_append_macro_multiple_docs.yaml", "macro 'some macro'"),
    ("invalid_append_rule.yaml", "rule 'some rule': rule has 'append'"),
    ("invalid_append_rule_multiple_docs.yaml", "rule 'some rule': condition: unexpected 'bar'"),
    ("invalid_append_rule_without_condition.yaml", "rule 'no condition rule': appended rule must have"),
    ("invalid_array_item_not_object.yaml", "each item must be a mapping"),
    ("invalid_condition_not_rule.yaml", "rule 'condition not rule': 'condition' is empty"),
    ("invalid_engine_version_not_number.yaml", "must be a number or a semantic version"),
    ("invalid_list_loop.yaml", "list 'list_a' refers to itself"),
    ("invalid_list_without_items.yaml", "list 'bad_list': item has no mapping for key 'items'"),
    ("invalid_macro_comple_error.yaml", "undefined macro 'gak'"),
    ("invalid_macro_loop.yaml", "macro 'macro_a' refers to itself"),
    ("invalid_macro_without_condition.yaml", "macro 'bad_macro': item has no mapping for key 'condition'"),
    ("invalid_missing_list_name.yaml", "list has no name"),
    ("invalid_missing_macro_name.yaml", "macro has no name"),
    ("invalid_missing_rule_name.yaml", "rule has no name"),
    ("invalid_not_array.yaml", "not a YAML sequence"),
    ("invalid_not_yaml.yaml", "not a YAML sequence"),
    ("invalid_overwrite_macro.yaml", "undefined macro 'foo'"),
    ("invalid_overwrite_macro_multiple_docs.yaml", "undefined macro 'foo'"),
    ("invalid_overwrite_rule.yaml", "undefined macro 'bar'"),
    ("invalid_overwrite_rule_multiple_docs.yaml", "undefined macro 'bar'"),
    ("invalid_rule_output.yaml", "'not_a_real_field' is not a supported output field"),
    ("invalid_rule_without_output.yaml", "rule 'no output rule': item has no mapping for key(s) [\"output\"]"),
    ("invalid_yaml_parse_error.yaml", "invalid YAML"),
    ("list_append_failure.yaml", "list 'my_list': list has 'append'"),
    ("rule_append_failure.yaml", "rule 'my_rule': rule has 'append'"),
    ("skip_unknown_error.yaml", "'proc.nobody' is not a supported filter field"),
    ("skip_unknown_unspec.yaml", "'proc.nobody' is not a supported filter field"),
    (
        "exceptions/append_item_fields_values_len_mismatch.yaml",
        "exception 'ex1': a values row has 1 items for 2 fields",
    ),
    ("exceptions/append_item_no_name.yaml", "has no name"),
    ("exceptions/append_item_not_in_rule.yaml", "exception 'ex2': appended exception has no fields"),
    ("exceptions/item_comps_fields_len_mismatch.yaml", "exception 'ex1': 2 fields but 1 comps"),
    ("exceptions/item_fields_values_len_mismatch.yaml", "exception 'ex1': a values row has 1 items for 2 fields"),
    ("exceptions/item_no_fields.yaml", "exception 'ex1': exception has no fields"),
    ("exceptions/item_no_name.yaml", "has no name"),
    ("exceptions/item_unknown_comp.yaml", "exception 'ex1': 'no-comp' is not a supported comparison operator"),
    ("exceptions/item_unknown_fields.yaml", "exception 'ex1': 'not.exist' is not a supported filter field"),
    (
        "exceptions/rule_exception_new_no_field_append.yaml",
        "exception 'proc_cmdline': appended exception has no fields",
    ),
];

/// Event types a rule names but its condition contradicts for them (a macro's
/// branch for `sendto` that needs what the rule excludes) are not the rule's,
/// and so never reach the kernel's interest set for it.
#[test]
fn contradicted_event_types_are_not_the_rules() {
    let dir = compat().join("falco-rules");
    let mut rs = RuleSet::default();
    rs.load_files(
        &["falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"].map(|f| dir.join(f)),
    );
    let mut dropped: Vec<String> = compile(&mut rs)
        .iter()
        .flat_map(|r| {
            let kept = r.event_types.clone().unwrap_or_default();
            let named = r.filter.event_types().unwrap_or_default();
            named.difference(&kept).map(|k| format!("{}: {}", r.name, k.name())).collect::<Vec<_>>()
        })
        .collect();
    dropped.sort();
    assert_eq!(
        dropped,
        [
            // `outbound` takes sendto/sendmsg only for `fd.l4proto != tcp`;
            // the rule asks for `fd.l4proto=tcp`.
            "Disallowed SSH Connection Non Standard Port: sendmsg",
            "Disallowed SSH Connection Non Standard Port: sendto",
            // A template: `container` and `not container.id exists`.
            "Launch Disallowed Container: execve",
            "Launch Disallowed Container: execveat",
            // A template: `k8s.ns.name in ()` with the list left empty.
            "Network Connection outside Local Subnet: accept",
            "Network Connection outside Local Subnet: accept4",
            "Network Connection outside Local Subnet: connect",
            "Network Connection outside Local Subnet: listen",
        ]
    );
}

/// Soundness of the kernel's open filter on Falco's rules: every open a
/// rule matches (from paths the rule files name, in each access mode) is
/// one the filter delivers, and ordinary opens are dropped.
#[test]
fn the_open_filter_delivers_every_open_a_falco_rule_matches() {
    use osprey::event::Event;
    use osprey::pipeline::SyscallPipeline;
    use osprey::rules::engine::{Engine, Matching};
    use osprey::rules::fields::Source;
    use osprey::rules::loader::Priority;
    use osprey::state::State;

    let dir = compat().join("falco-rules");
    let literal = regex::Regex::new(r"/[A-Za-z0-9_.\-/]+").expect("regex");
    for extra in [None, Some("falco-incubating_rules.yaml"), Some("falco-sandbox_rules.yaml")] {
        let files: Vec<PathBuf> = ["falco_rules.yaml"].into_iter().chain(extra).map(|f| dir.join(f)).collect();
        let mut rs = RuleSet::default();
        rs.load_files(&files);
        let engine = Engine::new(compile(&mut rs), Source::Syscall, Matching::All, Priority::Debug);
        let mut pipeline = SyscallPipeline::new(State::new(100), engine);
        let filter = pipeline.interest().open_filter;
        assert!(filter.clauses > 0, "{extra:?}: no filter");

        let mut paths = std::collections::BTreeSet::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("rules");
            for m in literal.find_iter(&text) {
                let p = m.as_str().trim_end_matches(['.', '-']);
                let name = p.rsplit('/').next().unwrap_or_default();
                for variant in [
                    p.to_string(),
                    format!("{p}/x"),
                    format!("{p}x"),
                    format!("/home/u/{name}"),
                    format!("/tmp/{name}"),
                ] {
                    paths.insert(variant.replace("//", "/"));
                }
            }
        }
        let (mut matched, mut pid) = (0, 100u64);
        for path in &paths {
            for (class, flags) in ["O_RDONLY", "O_WRONLY|O_CREAT", "O_RDWR"].iter().enumerate() {
                pid += 1;
                let ev = Event::from_json(&serde_json::json!({
                    "evt.num": pid, "evt.rawtime": 1, "evt.type": "openat", "evt.dir": "<", "evt.rawres": 3,
                    "proc.pid": pid, "thread.tid": pid, "proc.ppid": 1, "proc.name": "t",
                    "user.uid": 0, "group.gid": 0,
                    "evt.args": {"fd": 3, "dirfd": -100, "name": path, "flags": flags, "mode": 0}
                }))
                .expect("event");
                let mut alerts = Vec::new();
                pipeline.process(&ev, |a| alerts.push(a.rule));
                if !alerts.is_empty() {
                    matched += 1;
                    let class = class as u32;
                    assert!(
                        filter.delivers(path.as_bytes(), class, b"t"),
                        "{extra:?}: {path} ({flags}) matches {alerts:?}"
                    );
                }
            }
        }
        println!("{extra:?}: {matched} of {} opens matched a rule, all delivered", paths.len() * 3);
        assert!(matched >= 10, "{extra:?}: only {matched} of {} opens matched a rule", paths.len() * 3);
        assert!(!filter.delivers(b"/usr/lib/x86_64-linux-gnu/libc.so.6", 0, b"t"), "{extra:?}");
    }
}

/// The syscalls the kernel may drop in host cgroups with Falco's rulesets:
/// each is one whose every rule asks for a container.
#[test]
fn container_only_syscalls_are_those_whose_every_rule_asks_for_a_container() {
    use osprey::pipeline::SyscallPipeline;
    use osprey::rules::engine::{Engine, Matching};
    use osprey::rules::fields::Source;
    use osprey::rules::loader::Priority;
    use osprey::state::State;

    let dir = compat().join("falco-rules");
    for (extra, expected) in [
        (None, &["finit_module", "init_module"][..]),
        (Some("falco-incubating_rules.yaml"), &["finit_module", "init_module", "sendmsg", "sendto", "unshare"][..]),
    ] {
        let files: Vec<PathBuf> = ["falco_rules.yaml"].into_iter().chain(extra).map(|f| dir.join(f)).collect();
        let mut rs = RuleSet::default();
        rs.load_files(&files);
        let engine = Engine::new(compile(&mut rs), Source::Syscall, Matching::All, Priority::Debug);
        let container_only = SyscallPipeline::new(State::new(100), engine).interest().container_only;
        let mut names: Vec<String> = container_only.iter().map(|k| k.name().into_owned()).collect();
        names.sort();
        assert_eq!(names, expected, "{extra:?}");
    }
}

/// Falco's rules compare spelt arguments as text (`evt.arg.request contains
/// PTRACE_ATTACH`, `evt.arg.mode contains "S_ISUID"`, `evt.arg.domain
/// contains AF_PACKET`, `evt.arg.cmd=BPF_PROG_LOAD`): given the numbers the
/// kernel records, they fire as they do under Falco.
#[test]
fn falco_rules_comparing_spelt_arguments_fire_on_the_kernels_numbers() {
    use osprey::commands::engine_setup::{build_syscall_pipeline, RuleOptions};
    use osprey::event::Event;
    use serde_json::json;

    let dir = compat().join("falco-rules");
    let opts = RuleOptions {
        rules: vec![dir.join("falco_rules.yaml"), dir.join("falco-incubating_rules.yaml")],
        all_matches: true,
    };
    let mut pipeline = build_syscall_pipeline(&opts, None).expect("Falco's rules load");
    let mut ts = 1_700_000_000_000_000_000u64;
    let mut event = |comm: &str, ty: &str, res: i64, args: serde_json::Value| {
        ts += 1000;
        Event::from_json(&json!({
            "evt.num": ts % 1_000_000, "evt.rawtime": ts, "evt.type": ty, "evt.dir": "<", "evt.rawres": res,
            "proc.pid": 300, "thread.tid": 300, "proc.ppid": 1, "proc.name": comm,
            "user.uid": 0, "group.gid": 0, "user.loginuid": 1000, "evt.args": args
        }))
        .expect("a valid event")
    };
    let cases = [
        ("PTRACE attached to process", event("python3", "ptrace", 0, json!({"res": 0, "request": 16, "pid": 42}))),
        (
            "Set Setuid or Setgid bit",
            event("chmod", "fchmodat", 0, json!({"res": 0, "dirfd": -100, "filename": "x", "mode": 0o4755})),
        ),
    ];
    for (rule, ev) in cases {
        let mut fired = Vec::new();
        pipeline.process(&ev, |a| fired.push(a.rule));
        assert!(fired.iter().any(|r| r == rule), "{rule} did not fire; fired: {fired:?}");
    }
    // "Packet socket created in container" fires in a container only; the
    // text it compares reads as Falco's.
    let socket = event("python3", "socket", 3, json!({"fd": 3, "domain": 17, "type": 3, "proto": 768}));
    let domain = socket.args.iter().find(|(name, _)| name.as_str() == "domain").map(|(_, arg)| arg.render());
    assert_eq!(domain.as_deref(), Some("AF_PACKET"));
}
