//! Loading Falco rule files: YAML documents of `rule`, `macro`, `list`,
//! `required_engine_version` and `required_plugin_versions` items, with
//! `append`, `override` and `enabled`-only items applied in file order.
//!
//! Every problem becomes a `Diagnostic` naming the file, line, column, item
//! type, item name and reason; loading goes on to report all of them.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_norway::Value as Yaml;

/// The Falco rules engine version whose files Osprey accepts.
pub const ENGINE_VERSION: (u64, u64, u64) = (0, 57, 0);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Falco's code for the class of problem (`LOAD_ERR_VALIDATE`, `LOAD_UNUSED_MACRO`…).
    pub code: &'static str,
    pub pos: Position,
    pub item_type: &'static str,
    pub item_name: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{}: {sev}: ", self.pos)?;
        if !self.item_type.is_empty() {
            write!(f, "{} '{}': ", self.item_type, self.item_name)?;
        }
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// Falco's priorities, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Self::Emergency,
            "alert" => Self::Alert,
            "critical" => Self::Critical,
            "error" => Self::Error,
            "warning" => Self::Warning,
            "notice" => Self::Notice,
            "informational" | "info" => Self::Informational,
            "debug" => Self::Debug,
            _ => return None,
        })
    }

    /// Falco's spelling in alerts (`Warning`, `Informational`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Emergency => "Emergency",
            Self::Alert => "Alert",
            Self::Critical => "Critical",
            Self::Error => "Error",
            Self::Warning => "Warning",
            Self::Notice => "Notice",
            Self::Informational => "Informational",
            Self::Debug => "Debug",
        }
    }

    pub const ALL: [Priority; 8] = [
        Self::Emergency,
        Self::Alert,
        Self::Critical,
        Self::Error,
        Self::Warning,
        Self::Notice,
        Self::Informational,
        Self::Debug,
    ];
}

#[derive(Debug, Clone)]
pub struct ListDef {
    pub name: String,
    pub items: Vec<String>,
    pub pos: Position,
}

#[derive(Debug, Clone)]
pub struct MacroDef {
    pub name: String,
    pub condition: String,
    pub pos: Position,
}

/// One exception row value: a literal, or a list of literals (for `in`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionValue {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct ExceptionDef {
    pub name: String,
    /// `fields: a.b` (single) keeps `single = true`: values are one list.
    pub fields: Vec<String>,
    pub single: bool,
    pub comps: Vec<String>,
    pub values: Vec<Vec<ExceptionValue>>,
    pub pos: Position,
}

#[derive(Debug, Clone)]
pub struct RuleDef {
    pub name: String,
    pub desc: String,
    pub condition: String,
    pub output: String,
    pub priority: Priority,
    pub enabled: bool,
    pub tags: Vec<String>,
    pub source: String,
    pub exceptions: Vec<ExceptionDef>,
    pub skip_if_unknown_filter: bool,
    pub warn_evttypes: bool,
    pub pos: Position,
}

/// Everything loaded so far, in definition order, with its diagnostics.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub lists: IndexMap<String, ListDef>,
    pub macros: IndexMap<String, MacroDef>,
    pub rules: IndexMap<String, RuleDef>,
    pub diagnostics: Vec<Diagnostic>,
}

impl RuleSet {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// A file that is not YAML the loader can read: an error where it breaks.
    fn invalid_yaml(&mut self, file: &str, line: usize, column: usize, reason: String) {
        let at = Position { file: file.into(), line, column };
        self.push(Severity::Error, "LOAD_ERR_YAML_PARSE", at, "", "", format!("invalid YAML: {reason}"));
    }

    /// Loads one file's text (all its YAML documents) on top of what is loaded.
    pub fn load_str(&mut self, file: &str, text: &str) {
        if let Some((line, column)) = too_deeply_nested(text) {
            let reason = format!("brackets nest more than {MAX_YAML_NESTING} deep");
            self.invalid_yaml(file, line, column, reason);
            return;
        }
        let lines = ItemLines::scan(text);
        let mut doc_index = 0;
        for document in serde_norway::Deserializer::from_str(text) {
            let doc_pos = |line: usize| Position { file: file.into(), line, column: 1 };
            let value = match Yaml::deserialize(document) {
                Ok(v) => v,
                Err(e) => {
                    let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                    self.invalid_yaml(file, line, column, e.to_string());
                    return;
                }
            };
            let items = match value {
                Yaml::Null => Vec::new(),
                Yaml::Sequence(items) => items,
                _ => {
                    self.push(
                        Severity::Error,
                        "LOAD_ERR_YAML_VALIDATE",
                        doc_pos(lines.doc_start(doc_index)),
                        "",
                        "",
                        "rules content is not a YAML sequence of items".into(),
                    );
                    doc_index += 1;
                    continue;
                }
            };
            for (i, item) in items.iter().enumerate() {
                let pos = doc_pos(lines.item_line(doc_index, i, items.len()));
                self.load_item(item, pos);
            }
            doc_index += 1;
        }
    }

    /// Loads files in order.
    pub fn load_files(&mut self, paths: &[std::path::PathBuf]) {
        for path in paths {
            let name = path.display().to_string();
            match std::fs::read_to_string(path) {
                Ok(text) => self.load_str(&name, &text),
                Err(e) => self.push(
                    Severity::Error,
                    "LOAD_ERR_FILE_READ",
                    Position { file: name, line: 0, column: 0 },
                    "",
                    "",
                    format!("cannot read: {e}"),
                ),
            }
        }
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        pos: Position,
        item_type: &'static str,
        item_name: &str,
        message: String,
    ) {
        self.diagnostics.push(Diagnostic { severity, code, pos, item_type, item_name: item_name.into(), message });
    }

    fn load_item(&mut self, item: &Yaml, pos: Position) {
        let Yaml::Mapping(map) = item else {
            self.push(
                Severity::Error,
                "LOAD_ERR_YAML_VALIDATE",
                pos,
                "",
                "",
                "unexpected element: each item must be a mapping (rule, macro, list…)".into(),
            );
            return;
        };
        let item = Item { map, pos: pos.clone() };
        if map.contains_key("rule") {
            self.load_rule(&item);
        } else if map.contains_key("macro") {
            self.load_macro(&item);
        } else if map.contains_key("list") {
            self.load_list(&item);
        } else if let Some(v) = map.get("required_engine_version") {
            self.check_engine_version(v, pos);
        } else if map.contains_key("required_plugin_versions") {
            // Accepted: Osprey builds in what Falco's plugins provide.
        } else {
            let keys: Vec<String> = map.keys().filter_map(|k| k.as_str().map(str::to_string)).collect();
            self.push(
                Severity::Warning,
                "LOAD_UNKNOWN_ITEM",
                pos,
                "",
                "",
                format!("unknown top-level item with keys {keys:?}: skipped"),
            );
        }
    }

    fn check_engine_version(&mut self, v: &Yaml, pos: Position) {
        let parsed = match v {
            // Legacy integers N mean engine 0.N.0.
            Yaml::Number(n) => n.as_u64().map(|n| (0, n, 0)),
            Yaml::String(s) => parse_semver(s),
            _ => None,
        };
        match parsed {
            None => self.push(
                Severity::Error,
                "LOAD_ERR_VALIDATE",
                pos,
                "required_engine_version",
                &yaml_text(v),
                "required_engine_version must be a number or a semantic version".into(),
            ),
            Some(req) if req > ENGINE_VERSION => self.push(
                Severity::Error,
                "LOAD_ERR_VALIDATE",
                pos,
                "required_engine_version",
                &yaml_text(v),
                format!(
                    "rules require engine version {}.{}.{}, Osprey provides {}.{}.{}",
                    req.0, req.1, req.2, ENGINE_VERSION.0, ENGINE_VERSION.1, ENGINE_VERSION.2
                ),
            ),
            Some(_) => {}
        }
    }

    fn load_list(&mut self, item: &Item<'_>) {
        let Some(name) = self.item_name(item, "list") else {
            return;
        };
        let items = match item.map.get("items") {
            Some(Yaml::Sequence(seq)) => seq.iter().map(yaml_text).collect::<Vec<_>>(),
            Some(Yaml::Null) => Vec::new(),
            Some(_) => return self.err(item, "list", &name, "'items' must be a sequence".into()),
            None => return self.err(item, "list", &name, "item has no mapping for key 'items'".into()),
        };
        match self.merge_mode(item, "list", &name, &["items"]) {
            None => {}
            Some(Merge::Define) => {
                self.lists.insert(name.clone(), ListDef { name, items, pos: item.pos.clone() });
            }
            Some(Merge::Append(keys)) | Some(Merge::Override(keys)) if !self.lists.contains_key(&name) => {
                let _ = keys;
                self.err(
                    item,
                    "list",
                    &name,
                    "list has 'append' or 'override' but no list by that name already exists".into(),
                )
            }
            Some(Merge::Append(_)) => self.lists[&name].items.extend(items),
            Some(Merge::Override(keys)) => {
                let list = &mut self.lists[&name];
                match keys.get("items").map(String::as_str) {
                    Some("append") => list.items.extend(items),
                    _ => list.items = items,
                }
            }
        }
    }

    fn load_macro(&mut self, item: &Item<'_>) {
        let Some(name) = self.item_name(item, "macro") else {
            return;
        };
        let condition = match item.map.get("condition") {
            Some(Yaml::String(s)) => s.clone(),
            Some(v @ (Yaml::Bool(_) | Yaml::Number(_))) => yaml_text(v),
            Some(_) => return self.err(item, "macro", &name, "'condition' must be a string".into()),
            None => return self.err(item, "macro", &name, "item has no mapping for key 'condition'".into()),
        };
        match self.merge_mode(item, "macro", &name, &["condition"]) {
            None => {}
            Some(Merge::Define) => {
                self.macros.insert(name.clone(), MacroDef { name, condition, pos: item.pos.clone() });
            }
            Some(Merge::Append(_) | Merge::Override(_)) if !self.macros.contains_key(&name) => self.err(
                item,
                "macro",
                &name,
                "macro has 'append' or 'override' but no macro by that name already exists".into(),
            ),
            Some(Merge::Append(_)) => append_text(&mut self.macros[&name].condition, &condition),
            Some(Merge::Override(keys)) => {
                let m = &mut self.macros[&name];
                match keys.get("condition").map(String::as_str) {
                    Some("append") => append_text(&mut m.condition, &condition),
                    _ => m.condition = condition,
                }
            }
        }
    }

    fn load_rule(&mut self, item: &Item<'_>) {
        let Some(name) = self.item_name(item, "rule") else {
            return;
        };
        let map = item.map;
        let text = |key: &str| map.get(key).map(yaml_text);
        let mode = self.merge_mode(
            item,
            "rule",
            &name,
            &["condition", "output", "desc", "priority", "tags", "exceptions", "enabled"],
        );
        let exceptions = match map.get("exceptions") {
            Some(v) => match self.parse_exceptions(item, &name, v) {
                Some(e) => e,
                None => return,
            },
            None => Vec::new(),
        };
        if let Some(Yaml::Null) = map.get("condition") {
            return self.err(item, "rule", &name, "'condition' is empty".into());
        }
        let enabled = match map.get("enabled") {
            None => None,
            Some(Yaml::Bool(b)) => Some(*b),
            Some(_) => return self.err(item, "rule", &name, "'enabled' must be true or false".into()),
        };
        let priority = match text("priority") {
            None => None,
            Some(p) => match Priority::parse(&p) {
                Some(p) => Some(p),
                None => return self.err(item, "rule", &name, format!("invalid priority '{p}'")),
            },
        };
        let tags = match map.get("tags") {
            None => None,
            Some(Yaml::Sequence(seq)) => Some(seq.iter().map(yaml_text).collect::<Vec<_>>()),
            Some(_) => return self.err(item, "rule", &name, "'tags' must be a sequence".into()),
        };
        let only_enabled = enabled.is_some() && map.keys().all(|k| matches!(k.as_str(), Some("rule" | "enabled")));
        match mode {
            None => {}
            Some(Merge::Define) if only_enabled && self.rules.contains_key(&name) => {
                self.rules[&name].enabled = enabled.expect("checked");
            }
            Some(Merge::Define) if only_enabled => {
                self.err(item, "rule", &name, "rule has only 'enabled' but no rule by that name already exists".into())
            }
            Some(Merge::Define) => {
                let mut missing = Vec::new();
                for key in ["condition", "output", "desc", "priority"] {
                    if !map.contains_key(key) {
                        missing.push(key);
                    }
                }
                if !missing.is_empty() {
                    return self.err(item, "rule", &name, format!("item has no mapping for key(s) {missing:?}"));
                }
                let source = text("source").unwrap_or_else(|| "syscall".into());
                let rule = RuleDef {
                    name: name.clone(),
                    desc: text("desc").unwrap_or_default(),
                    condition: text("condition").unwrap_or_default(),
                    output: text("output").unwrap_or_default().trim().to_string(),
                    priority: priority.expect("checked above"),
                    enabled: enabled.unwrap_or(true),
                    tags: tags.unwrap_or_default(),
                    source,
                    exceptions,
                    skip_if_unknown_filter: matches!(map.get("skip-if-unknown-filter"), Some(Yaml::Bool(true))),
                    warn_evttypes: !matches!(map.get("warn_evttypes"), Some(Yaml::Bool(false))),
                    pos: item.pos.clone(),
                };
                self.rules.insert(name, rule);
            }
            Some(Merge::Append(_) | Merge::Override(_)) if !self.rules.contains_key(&name) => self.err(
                item,
                "rule",
                &name,
                "rule has 'append' or 'override' but no rule by that name already exists".into(),
            ),
            Some(Merge::Append(_)) => {
                if !map.contains_key("condition") && !map.contains_key("exceptions") && !map.contains_key("output") {
                    return self.err(
                        item,
                        "rule",
                        &name,
                        "appended rule must have a condition, output or exceptions".into(),
                    );
                }
                let rule = &mut self.rules[&name];
                if let Some(c) = text("condition") {
                    append_text(&mut rule.condition, &c);
                }
                if let Some(o) = text("output") {
                    append_text(&mut rule.output, o.trim());
                }
                if let Some(d) = text("desc") {
                    append_text(&mut rule.desc, &d);
                }
                rule.tags.extend(tags.unwrap_or_default());
                let errors = merge_exceptions(&mut rule.exceptions, exceptions);
                for e in errors {
                    self.err(item, "exception", &e.0, e.1);
                }
            }
            Some(Merge::Override(keys)) => {
                let rule = &mut self.rules[&name];
                let mut errors = Vec::new();
                for (key, how) in &keys {
                    let append = how == "append";
                    match key.as_str() {
                        "condition" | "output" | "desc" => {
                            let new = text(key).unwrap_or_default();
                            let field = match key.as_str() {
                                "condition" => &mut rule.condition,
                                "output" => &mut rule.output,
                                _ => &mut rule.desc,
                            };
                            if append {
                                append_text(field, &new);
                            } else {
                                *field = new;
                            }
                        }
                        "priority" => rule.priority = priority.unwrap_or(rule.priority),
                        "enabled" => rule.enabled = enabled.unwrap_or(rule.enabled),
                        "tags" if append => rule.tags.extend(tags.clone().unwrap_or_default()),
                        "tags" => rule.tags = tags.clone().unwrap_or_default(),
                        "exceptions" if append => errors = merge_exceptions(&mut rule.exceptions, exceptions.clone()),
                        "exceptions" => rule.exceptions = exceptions.clone(),
                        _ => {}
                    }
                }
                for e in errors {
                    self.err(item, "exception", &e.0, e.1);
                }
            }
        }
    }

    fn parse_exceptions(&mut self, item: &Item<'_>, rule: &str, v: &Yaml) -> Option<Vec<ExceptionDef>> {
        let Yaml::Sequence(seq) = v else {
            self.err(item, "rule", rule, "'exceptions' must be a sequence".into());
            return None;
        };
        let mut out = Vec::new();
        for ex in seq {
            let Yaml::Mapping(m) = ex else {
                self.err(item, "rule", rule, "each exception must be a mapping".into());
                return None;
            };
            let Some(name) = m.get("name").and_then(Yaml::as_str).map(str::to_string) else {
                self.err(item, "exception", "", format!("an exception of rule '{rule}' has no name"));
                return None;
            };
            let (fields, single) = match m.get("fields") {
                None => (Vec::new(), false),
                Some(Yaml::Sequence(f)) => (f.iter().map(yaml_text).collect(), false),
                Some(f) => (vec![yaml_text(f)], true),
            };
            let comps = match m.get("comps") {
                None => Vec::new(),
                Some(Yaml::Sequence(c)) => c.iter().map(yaml_text).collect(),
                Some(c) => vec![yaml_text(c)],
            };
            let mut values = Vec::new();
            match m.get("values") {
                None | Some(Yaml::Null) => {}
                Some(Yaml::Sequence(rows)) => {
                    for row in rows {
                        let cells = match row {
                            Yaml::Sequence(cells) if !single => cells
                                .iter()
                                .map(|c| match c {
                                    Yaml::Sequence(many) => ExceptionValue::Many(many.iter().map(yaml_text).collect()),
                                    one => ExceptionValue::One(yaml_text(one)),
                                })
                                .collect(),
                            Yaml::Sequence(many) => {
                                vec![ExceptionValue::Many(many.iter().map(yaml_text).collect())]
                            }
                            one => vec![ExceptionValue::One(yaml_text(one))],
                        };
                        values.push(cells);
                    }
                }
                Some(_) => {
                    self.err(item, "exception", &name, "'values' must be a sequence".into());
                    return None;
                }
            }
            out.push(ExceptionDef { name, fields, single, comps, values, pos: item.pos.clone() });
        }
        Some(out)
    }

    fn item_name(&mut self, item: &Item<'_>, kind: &'static str) -> Option<String> {
        match item.map.get(kind) {
            Some(Yaml::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(v @ (Yaml::Number(_) | Yaml::Bool(_))) => Some(yaml_text(v)),
            _ => {
                self.err(item, kind, "", format!("{kind} has no name (the '{kind}' key must be a non-empty string)"));
                None
            }
        }
    }

    /// How an item combines with an existing one: `append: true`, an
    /// `override:` mapping of keys to `append`/`replace`, or a definition.
    fn merge_mode(&mut self, item: &Item<'_>, kind: &'static str, name: &str, keys: &[&str]) -> Option<Merge> {
        let append = match item.map.get("append") {
            None => false,
            Some(Yaml::Bool(b)) => *b,
            Some(_) => {
                self.err(item, kind, name, "'append' must be true or false".into());
                return None;
            }
        };
        match item.map.get("override") {
            None if append => Some(Merge::Append(IndexMap::new())),
            None => Some(Merge::Define),
            Some(_) if append => {
                self.err(item, kind, name, "'append' and 'override' cannot be used together".into());
                None
            }
            Some(Yaml::Mapping(m)) => {
                let mut out = IndexMap::new();
                for (k, v) in m {
                    let (k, v) = (yaml_text(k), yaml_text(v));
                    if !keys.contains(&k.as_str()) {
                        self.err(item, kind, name, format!("key '{k}' cannot be overridden"));
                        return None;
                    }
                    if v != "append" && v != "replace" {
                        self.err(
                            item,
                            kind,
                            name,
                            format!("override of '{k}' must be 'append' or 'replace', not '{v}'"),
                        );
                        return None;
                    }
                    if !item.map.contains_key(k.as_str()) {
                        self.err(item, kind, name, format!("override of '{k}' but the item has no '{k}'"));
                        return None;
                    }
                    out.insert(k, v);
                }
                Some(Merge::Override(out))
            }
            Some(_) => {
                self.err(item, kind, name, "'override' must be a mapping of keys to append/replace".into());
                None
            }
        }
    }

    fn err(&mut self, item: &Item<'_>, kind: &'static str, name: &str, message: String) {
        self.push(Severity::Error, "LOAD_ERR_VALIDATE", item.pos.clone(), kind, name, message);
    }
}

enum Merge {
    Define,
    Append(IndexMap<String, String>),
    Override(IndexMap<String, String>),
}

struct Item<'a> {
    map: &'a serde_norway::Mapping,
    pos: Position,
}

fn append_text(into: &mut String, more: &str) {
    if !into.is_empty() && !more.is_empty() {
        into.push(' ');
    }
    into.push_str(more);
}

/// Appended exceptions: values join the exception of the same name; a new
/// exception needs its fields. Returns (exception name, reason) errors.
fn merge_exceptions(into: &mut Vec<ExceptionDef>, more: Vec<ExceptionDef>) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    for ex in more {
        if let Some(existing) = into.iter_mut().find(|e| e.name == ex.name) {
            existing.values.extend(ex.values);
        } else if ex.fields.is_empty() {
            errors.push((
                ex.name.clone(),
                "appended exception has no fields and no exception by that name exists".into(),
            ));
        } else {
            into.push(ex);
        }
    }
    errors
}

fn parse_semver(s: &str) -> Option<(u64, u64, u64)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    // A bare integer is the legacy form: engine 0.N.0.
    Some(if !s.contains('.') { (0, major, 0) } else { (major, minor, patch) })
}

/// A scalar as text (numbers and booleans as YAML spells them).
fn yaml_text(v: &Yaml) -> String {
    match v {
        Yaml::String(s) => s.clone(),
        Yaml::Number(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Null => String::new(),
        other => serde_norway::to_string(other).unwrap_or_default().trim().to_string(),
    }
}

/// Line numbers of documents and of their top-level items, found in the text
/// (the YAML parser does not report them).
/// Deepest that YAML flow collections (`[`, `{`) may nest. The YAML reader
/// refuses deeper ones itself, but only after time that grows with the
/// square of the depth (minutes for a file of brackets), so they are
/// refused before it reads them.
pub const MAX_YAML_NESTING: usize = 128;

/// Where `[` and `{` first nest deeper than MAX_YAML_NESTING (line, column),
/// in one pass. Brackets in comments and in quoted strings do not count;
/// those in plain strings do, which only ever overstates the depth.
fn too_deeply_nested(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (i, line) in text.lines().enumerate() {
        let mut quote = None;
        let mut previous = ' ';
        for (column, c) in line.chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '#') if previous.is_whitespace() => break,
                (None, '"' | '\'') if previous.is_whitespace() || "[{,:".contains(previous) => quote = Some(c),
                (None, '[' | '{') => {
                    depth += 1;
                    if depth > MAX_YAML_NESTING {
                        return Some((i + 1, column + 1));
                    }
                }
                (None, ']' | '}') => depth = depth.saturating_sub(1),
                _ => {}
            }
            previous = c;
        }
    }
    None
}

struct ItemLines {
    docs: Vec<(usize, Vec<usize>)>,
}

impl ItemLines {
    fn scan(text: &str) -> Self {
        let mut docs = vec![(1, Vec::new())];
        let mut seen_content = false;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line == "---" || line.starts_with("--- ") {
                if seen_content || docs.len() > 1 || !docs[0].1.is_empty() {
                    docs.push((n, Vec::new()));
                } else {
                    docs[0].0 = n;
                }
                continue;
            }
            if line == "-" || line.starts_with("- ") {
                docs.last_mut().expect("one document").1.push(n);
            }
            if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
                seen_content = true;
            }
        }
        Self { docs }
    }

    fn doc_start(&self, doc: usize) -> usize {
        self.docs.get(doc).map_or(1, |d| d.0)
    }

    fn item_line(&self, doc: usize, index: usize, count: usize) -> usize {
        match self.docs.get(doc) {
            Some((_, items)) if items.len() == count => items[index],
            _ => self.doc_start(doc),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> RuleSet {
        let mut rs = RuleSet::default();
        rs.load_str("t.yaml", text);
        rs
    }

    fn errors(rs: &RuleSet) -> Vec<String> {
        rs.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.to_string()).collect()
    }

    #[test]
    fn brackets_nested_too_deep_are_refused_before_the_yaml_reader() {
        let deep = format!("- list: l\n  items: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let errs = errors(&load(&deep));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].starts_with("t.yaml:2:138: error: invalid YAML: brackets nest more than 128 deep"), "{errs:?}");
        // Brackets in comments and quoted strings, and many shallow ones, are fine.
        let fine = format!(
            "# {}\n- list: l\n  items: ['{}', \"{}\", {}]\n",
            "[".repeat(200),
            "[".repeat(200),
            "{".repeat(200),
            "[a], ".repeat(1000)
        );
        assert!(errors(&load(&fine)).is_empty(), "{:?}", errors(&load(&fine)));
    }

    #[test]
    fn defines_and_appends_in_order() {
        let rs = load(
            "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n\
             - macro: m\n  condition: evt.type=open\n- macro: m\n  condition: or evt.type=openat\n  append: true\n\
             - rule: r\n  desc: d\n  condition: m\n  output: o %proc.name\n  priority: WARNING\n  tags: [x]\n\
             - rule: r\n  condition: and proc.name=cat\n  append: true\n",
        );
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        assert_eq!(rs.lists["l"].items, ["a", "b"]);
        assert_eq!(rs.macros["m"].condition, "evt.type=open or evt.type=openat");
        assert_eq!(rs.rules["r"].condition, "m and proc.name=cat");
        assert_eq!(rs.rules["r"].priority, Priority::Warning);
        assert_eq!(rs.rules["r"].pos.line, 11);
    }

    #[test]
    fn override_replace_and_enabled_only() {
        let rs = load(
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n\
             - rule: r\n  condition: evt.type=openat\n  output: p\n  override:\n    condition: replace\n    output: append\n\
             - rule: r\n  enabled: false\n",
        );
        assert!(errors(&rs).is_empty(), "{:?}", errors(&rs));
        let r = &rs.rules["r"];
        assert_eq!((r.condition.as_str(), r.output.as_str(), r.enabled), ("evt.type=openat", "o p", false));
    }

    #[test]
    fn reports_every_error_with_position_and_item() {
        let rs = load("- list: ok\n  items: [a]\n- macro: m\n- rule:\n  desc: x\n- foo\n- rule: r\n  append: true\n  condition: x\n");
        let errs = errors(&rs);
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert!(
            errs[0].starts_with("t.yaml:3:1: error: macro 'm': item has no mapping for key 'condition'"),
            "{}",
            errs[0]
        );
        assert!(errs[1].contains("rule has no name"), "{}", errs[1]);
        assert!(errs[2].contains("t.yaml:6:1") && errs[2].contains("mapping"), "{}", errs[2]);
        assert!(errs[3].contains("rule 'r'") && errs[3].contains("no rule by that name"), "{}", errs[3]);
    }

    #[test]
    fn yaml_errors_and_non_sequences() {
        assert!(errors(&load("this : is : not : yaml"))[0].contains("invalid YAML"));
        assert!(errors(&load("foo: bar"))[0].contains("not a YAML sequence"));
        assert!(errors(&load("This is not yaml"))[0].contains("not a YAML sequence"));
        assert!(errors(&load("")).is_empty());
    }

    #[test]
    fn engine_versions() {
        assert!(errors(&load("- required_engine_version: 0.57.0")).is_empty());
        assert!(errors(&load("- required_engine_version: 10")).is_empty());
        assert!(errors(&load("- required_engine_version: 9999999"))[0].contains("require engine version"));
        assert!(errors(&load("- required_engine_version: not-a-number"))[0].contains("must be a number"));
    }

    #[test]
    fn exceptions_parse_and_append() {
        let rs = load(
            "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n  exceptions:\n\
             \x20   - name: e1\n      fields: [proc.name, fd.name]\n      comps: [=, in]\n      values:\n        - [cat, [a, b]]\n\
             - rule: r\n  append: true\n  exceptions:\n    - name: e1\n      values:\n        - [ls, c]\n    - name: e2\n      values: [[x]]\n",
        );
        let errs = errors(&rs);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("exception 'e2'"), "{}", errs[0]);
        let ex = &rs.rules["r"].exceptions[0];
        assert_eq!(ex.values.len(), 2);
        assert_eq!(ex.values[0][1], ExceptionValue::Many(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn multiple_documents_keep_lines() {
        let rs = load("---\n- list: a\n  items: [x]\n---\n- list: b\n  items: [y]\n");
        assert_eq!(rs.lists["a"].pos.line, 2);
        assert_eq!(rs.lists["b"].pos.line, 5);
    }
}
