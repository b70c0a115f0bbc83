//! Field values and Falco's comparison operators on them.

use std::borrow::Cow;
use std::net::IpAddr;

use smallvec::SmallVec;

use super::compile::Rhs;
use super::condition::Op;

/// A field's value for one event. `None` renders as `<NA>` and matches
/// nothing (but `exists` tells it apart).
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    None,
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    List(Vec<Cow<'a, str>>),
    Ip(IpAddr),
    /// Both ends of a socket (`fd.ip`, `fd.net`): any of them matches. Kept
    /// as addresses, not text, because network operators compare addresses.
    Ips(SmallVec<[IpAddr; 2]>),
    /// Both ends' ports (`fd.port`): any of them matches.
    Ints(SmallVec<[i64; 2]>),
}

/// `Val::None`, for `map_or_else`: a default given by value (`map_or`) is
/// built and dropped even when unused, and dropping a `Val` is a call.
impl Default for Val<'_> {
    fn default() -> Self {
        Val::None
    }
}

impl<'a> Val<'a> {
    pub fn is_none(&self) -> bool {
        matches!(self, Val::None)
    }

    pub fn str(s: impl Into<Cow<'a, str>>) -> Self {
        Val::Str(s.into())
    }

    /// Lets the value go. Most values a check reads own nothing (numbers,
    /// borrowed text), and are forgotten rather than dropped: the generic
    /// drop saves registers for the list case on every call, which cost
    /// more than the comparison itself.
    #[inline]
    pub fn discard(self) {
        if matches!(self, Val::Int(_) | Val::Bool(_) | Val::Ip(_) | Val::Str(Cow::Borrowed(_))) {
            std::mem::forget(self);
        }
    }

    /// An optional string: `None` when absent.
    pub fn opt_str(s: Option<impl Into<Cow<'a, str>>>) -> Self {
        s.map_or_else(Val::default, |s| Val::Str(s.into()))
    }

    /// Falco's rendering in outputs.
    pub fn render(&self) -> Cow<'_, str> {
        match self {
            Val::None => "<NA>".into(),
            Val::Str(s) => s.as_ref().into(),
            Val::Int(n) => n.to_string().into(),
            Val::Bool(b) => b.to_string().into(),
            Val::List(l) => render_many(l),
            Val::Ip(ip) => ip.to_string().into(),
            Val::Ips(ips) => render_many(ips),
            Val::Ints(ints) => render_many(ints),
        }
    }

    /// The value as JSON for `output_fields`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::None => serde_json::Value::Null,
            Val::Str(s) => s.as_ref().into(),
            Val::Int(n) => (*n).into(),
            Val::Bool(b) => (*b).into(),
            Val::List(l) => l.iter().map(|s| s.as_ref()).collect::<Vec<_>>().into(),
            Val::Ip(ip) => ip.to_string().into(),
            Val::Ips(ips) => ips.iter().map(|ip| ip.to_string()).collect::<Vec<_>>().into(),
            Val::Ints(ints) => ints.to_vec().into(),
        }
    }

    fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            Val::Bool(b) => Some(*b as i64),
            Val::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The number of values: 1 for a scalar, the length of a list.
    pub fn count(&self) -> usize {
        match self {
            Val::None => 0,
            Val::List(l) => l.len(),
            Val::Ips(ips) => ips.len(),
            Val::Ints(ints) => ints.len(),
            _ => 1,
        }
    }

    /// The values as text, one per element of a list.
    pub fn texts(&self) -> impl Iterator<Item = Cow<'_, str>> {
        let many: Box<dyn Iterator<Item = Cow<'_, str>>> = match self {
            Val::List(l) => Box::new(l.iter().map(|s| Cow::Borrowed(s.as_ref()))),
            Val::Ips(ips) => Box::new(ips.iter().map(|ip| Cow::Owned(ip.to_string()))),
            Val::Ints(ints) => Box::new(ints.iter().map(|n| Cow::Owned(n.to_string()))),
            Val::None => Box::new(std::iter::empty()),
            scalar => Box::new(std::iter::once(scalar.render())),
        };
        many
    }

    /// Whether `pred` holds for the value (or for any element of a list).
    fn any_text(&self, mut pred: impl FnMut(&str) -> bool) -> bool {
        match self {
            Val::Str(s) => pred(s),
            Val::List(l) => l.iter().any(|s| pred(s)),
            Val::Ips(_) | Val::Ints(_) => self.texts().any(|t| pred(&t)),
            other => pred(&other.render()),
        }
    }

    /// Whether `pred` holds for the value (or for every element of a list).
    fn all_texts(&self, mut pred: impl FnMut(&str) -> bool) -> bool {
        match self {
            Val::Str(s) => pred(s),
            Val::List(l) => l.iter().all(|s| pred(s)),
            Val::Ips(_) | Val::Ints(_) => self.texts().all(|t| pred(&t)),
            other => pred(&other.render()),
        }
    }

    /// Whether `pred` holds for the number (or for any of several).
    fn any_int(&self, pred: impl Fn(i64) -> bool) -> bool {
        match self {
            Val::Ints(ints) => ints.iter().any(|n| pred(*n)),
            other => other.as_int().is_some_and(pred),
        }
    }

    /// Applies `op` against a prepared right side. One text, number or
    /// flag against one operand (most checks) is decided here, inline;
    /// `matches_any` decides every case (lists, addresses, text read as a
    /// number) and agrees with this on these (tested): its generality cost
    /// more than the comparison.
    #[inline]
    pub fn matches(&self, op: Op, rhs: &Rhs) -> bool {
        match (self, op, rhs) {
            (Val::Str(v), Op::Eq, Rhs::Text(t)) => v == t,
            (Val::Str(v), Op::Ne, Rhs::Text(t)) => v != t,
            (Val::Str(v), Op::StartsWith, Rhs::Text(t)) => v.starts_with(t.as_str()),
            (Val::Str(v), Op::In | Op::Intersects, Rhs::Set(set)) => set.contains(v),
            (Val::Str(v), Op::Contains, Rhs::Needle(n)) => n.is_in(v),
            (Val::Int(v), Op::Eq, Rhs::Int(n)) => v == n,
            (Val::Int(v), Op::Ge, Rhs::Int(n)) => v >= n,
            (Val::Bool(v), Op::Eq, Rhs::Bool(b)) => v == b,
            _ => self.matches_any(op, rhs),
        }
    }

    fn matches_any(&self, op: Op, rhs: &Rhs) -> bool {
        match (op, rhs) {
            (Op::Eq, Rhs::Int(n)) => self.any_int(|v| v == *n),
            (Op::Ne, Rhs::Int(n)) => match self {
                Val::Ints(ints) => !ints.is_empty() && ints.iter().all(|v| v != n),
                other => other.as_int().is_some_and(|v| v != *n),
            },
            (Op::Lt, Rhs::Int(n)) => self.any_int(|v| v < *n),
            (Op::Le, Rhs::Int(n)) => self.any_int(|v| v <= *n),
            (Op::Gt, Rhs::Int(n)) => self.any_int(|v| v > *n),
            (Op::Ge, Rhs::Int(n)) => self.any_int(|v| v >= *n),
            (Op::Eq, Rhs::Bool(b)) => self.truthy() == Some(*b),
            (Op::Ne, Rhs::Bool(b)) => self.truthy().is_some_and(|v| v != *b),
            (Op::Eq, Rhs::Net(net)) => self.ips().iter().any(|ip| net.contains(ip)),
            (Op::Ne, Rhs::Net(net)) => !self.ips().iter().any(|ip| net.contains(ip)),
            (Op::In, Rhs::NetSet(nets)) | (Op::Intersects, Rhs::NetSet(nets)) => {
                self.ips().iter().any(|ip| nets.iter().any(|n| n.contains(ip)))
            }
            (Op::In, Rhs::Set(set)) => self.count() > 0 && self.all_texts(|t| set.contains(t)),
            (Op::Intersects, Rhs::Set(set)) => self.any_text(|t| set.contains(t)),
            (Op::PMatch, Rhs::Prefixes(prefixes)) => self.any_text(|t| prefixes.contain(t)),
            (Op::Regex, Rhs::Regex(re)) => self.any_text(|t| re.is_match(t)),
            (Op::BContains, Rhs::Bytes(b)) => self.any_text(|t| contains_bytes(t.as_bytes(), b)),
            (Op::BStartsWith, Rhs::Bytes(b)) => self.any_text(|t| t.as_bytes().starts_with(b)),
            (Op::Contains, Rhs::Needle(n)) => self.any_text(|t| n.is_in(t)),
            (Op::IContains, Rhs::Needle(n)) => self.any_text(|t| n.is_in(&t.to_lowercase())),
            (op, Rhs::Text(t)) => self.compare_text(op, t),
            _ => false,
        }
    }

    /// String operators (also used for field-to-field comparisons).
    pub fn compare_text(&self, op: Op, rhs: &str) -> bool {
        match op {
            Op::Eq => self.any_text(|t| t == rhs),
            Op::Ne => self.all_texts(|t| t != rhs),
            Op::Contains => self.any_text(|t| t.contains(rhs)),
            Op::IContains => self.any_text(|t| t.to_lowercase().contains(rhs)),
            Op::StartsWith => self.any_text(|t| t.starts_with(rhs)),
            Op::EndsWith => self.any_text(|t| t.ends_with(rhs)),
            Op::Glob => self.any_text(|t| glob_match(rhs, t)),
            Op::IGlob => self.any_text(|t| glob_match(rhs, &t.to_lowercase())),
            Op::Lt | Op::Le | Op::Gt | Op::Ge => match (self.as_int(), rhs.parse::<i64>()) {
                (Some(a), Ok(b)) => match op {
                    Op::Lt => a < b,
                    Op::Le => a <= b,
                    Op::Gt => a > b,
                    _ => a >= b,
                },
                _ => false,
            },
            _ => false,
        }
    }

    fn truthy(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Int(n) => Some(*n != 0),
            Val::Str(s) => match s.as_ref() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// The value's addresses; text that is no address counts as none.
    fn ips(&self) -> SmallVec<[IpAddr; 2]> {
        match self {
            Val::Ip(ip) => smallvec::smallvec![*ip],
            Val::Ips(ips) => ips.clone(),
            other => {
                let mut out = SmallVec::new();
                other.any_text(|t| {
                    out.extend(t.parse::<IpAddr>().ok());
                    false
                });
                out
            }
        }
    }
}

/// Several values as Falco renders them: one bare, several in parentheses,
/// none missing.
fn render_many<T: std::fmt::Display>(items: &[T]) -> Cow<'static, str> {
    match items {
        [] => "<NA>".into(),
        [one] => one.to_string().into(),
        many => format!("({})", many.iter().map(T::to_string).collect::<Vec<_>>().join(",")).into(),
    }
}

/// The texts of an `in` list, with the lengths they come in: a text of
/// no such length is no member, found without hashing it (most values an
/// event brings are no member, and lists hold a few lengths).
#[derive(Debug, Clone, Default)]
pub struct TextSet {
    texts: rustc_hash::FxHashSet<String>,
    /// Bit `n` for a text of `n` bytes; bit 63 for every longer one too.
    lengths: u64,
}

impl TextSet {
    fn length_bit(text: &str) -> u64 {
        1 << text.len().min(63)
    }

    pub fn contains(&self, text: &str) -> bool {
        self.lengths & Self::length_bit(text) != 0 && self.texts.contains(text)
    }

    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.texts.iter()
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

impl FromIterator<String> for TextSet {
    fn from_iter<I: IntoIterator<Item = String>>(texts: I) -> Self {
        let texts: rustc_hash::FxHashSet<String> = texts.into_iter().collect();
        let lengths = texts.iter().fold(0, |bits, t| bits | Self::length_bit(t));
        Self { texts, lengths }
    }
}

/// A `contains` operand with its searcher built once: `str::contains`
/// sets one up on every call, which cost more than the search on paths.
#[derive(Debug)]
pub struct Needle {
    pub text: String,
    finder: memchr::memmem::Finder<'static>,
}

impl Needle {
    pub fn new(text: String) -> Self {
        let finder = memchr::memmem::Finder::new(text.as_bytes()).into_owned();
        Self { text, finder }
    }

    pub fn is_in(&self, haystack: &str) -> bool {
        self.finder.find(haystack.as_bytes()).is_some()
    }
}

/// The directories of a `pmatch` list, looked up by each leading part of a
/// path: one hash probe per path component however long the list is.
#[derive(Debug, Default)]
pub struct PathPrefixes {
    dirs: rustc_hash::FxHashSet<String>,
    /// `/` (or an empty entry) is in the list: every path matches.
    root: bool,
}

impl PathPrefixes {
    /// The directories; `None` when `/` is one (every path matches).
    pub fn dirs(&self) -> Option<impl Iterator<Item = &str>> {
        (!self.root).then(|| self.dirs.iter().map(String::as_str))
    }

    pub fn new(items: impl IntoIterator<Item = String>) -> Self {
        let mut prefixes = Self::default();
        for item in items {
            match item.trim_end_matches('/') {
                "" => prefixes.root = true,
                dir => {
                    prefixes.dirs.insert(dir.to_string());
                }
            }
        }
        prefixes
    }

    /// `path` is one of the directories or inside one.
    pub fn contain(&self, path: &str) -> bool {
        self.root
            || self.dirs.contains(path)
            || path.match_indices('/').any(|(i, _)| i > 0 && self.dirs.contains(&path[..i]))
    }
}

fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Shell-style wildcard match: `*`, `?`, `[abc]`, `[a-z]`, `[!x]`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ti));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, t[ti]) {
                        if matched {
                            pi = next;
                            ti += 1;
                            continue;
                        }
                    } else if t[ti] == '[' {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                }
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp + 1;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`; returns
/// (matched, index after the class), or `None` for an unterminated class.
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() && (p[i] != ']' || first) {
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            matched |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            matched |= p[i] == c;
            i += 1;
        }
    }
    (i < p.len()).then_some((matched != negate, i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn globs() {
        assert!(glob_match("/etc/*", "/etc/shadow"));
        assert!(glob_match("*.sh", "/tmp/x.sh"));
        assert!(!glob_match("/etc/?", "/etc/ab"));
        assert!(glob_match("/dev/[a-c]x", "/dev/bx"));
        assert!(!glob_match("/dev/[!a-c]x", "/dev/bx"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("[", "["));
    }

    #[test]
    fn the_inline_cases_decide_as_the_general_path() {
        let set: TextSet = ["a", "bc"].into_iter().map(String::from).collect();
        let operands = [
            Rhs::Text("a".into()),
            Rhs::Text("".into()),
            Rhs::Text("5".into()),
            Rhs::Set(Arc::new(set)),
            Rhs::Needle(Arc::new(Needle::new("b".into()))),
            Rhs::Int(0),
            Rhs::Int(5),
            Rhs::Bool(true),
            Rhs::Bool(false),
        ];
        let values =
            [Val::str("a"), Val::str("abc"), Val::str(""), Val::str("5"), Val::Int(0), Val::Int(5), Val::Int(7)];
        let values = values.into_iter().chain([Val::Bool(true), Val::Bool(false)]);
        let ops = [Op::Eq, Op::Ne, Op::StartsWith, Op::In, Op::Intersects, Op::Contains, Op::Ge];
        for v in values {
            for op in ops {
                for rhs in &operands {
                    assert_eq!(v.matches(op, rhs), v.matches_any(op, rhs), "{v:?} {op:?} {rhs:?}");
                }
            }
        }
    }

    #[test]
    fn operators() {
        let v = Val::str("/usr/bin/bash");
        assert!(v.compare_text(Op::StartsWith, "/usr/"));
        assert!(v.compare_text(Op::EndsWith, "bash"));
        assert!(v.compare_text(Op::Contains, "bin"));
        let needle = |text: &str| Rhs::Needle(Arc::new(Needle::new(text.into())));
        assert!(v.matches(Op::Contains, &needle("bin/b")));
        assert!(!v.matches(Op::Contains, &needle("sbin")));
        assert!(Val::str("/USR/Bin").matches(Op::IContains, &needle("usr/bin")));
        assert!(Val::List(vec!["a".into(), "xyz".into()]).matches(Op::Contains, &needle("y")));
        let prefixes = |items: &[&str]| Rhs::Prefixes(Arc::new(PathPrefixes::new(items.iter().map(|i| i.to_string()))));
        assert!(v.matches(Op::PMatch, &prefixes(&["/etc", "/usr/bin/"])));
        assert!(v.matches(Op::PMatch, &prefixes(&["/usr"])));
        assert!(v.matches(Op::PMatch, &prefixes(&["/usr/bin/bash"])));
        assert!(v.matches(Op::PMatch, &prefixes(&["/"])));
        assert!(!v.matches(Op::PMatch, &prefixes(&["/usr/bi"])));
        assert!(!v.matches(Op::PMatch, &prefixes(&["/usr/bin/bash/x", "/bin"])));
        let set: TextSet = ["a".to_string(), "b".to_string()].into_iter().collect();
        let list = Val::List(vec!["a".into(), "c".into()]);
        assert!(list.matches(Op::Intersects, &Rhs::Set(Arc::new(set.clone()))));
        assert!(!list.matches(Op::In, &Rhs::Set(Arc::new(set))));
        let long = "x".repeat(70);
        let set: TextSet = ["ab", "abc", &long[..64], &long[..66]].into_iter().map(String::from).collect();
        for (text, member) in [("ab", true), ("abc", true), ("ac", false), ("a", false), ("abcd", false)] {
            assert_eq!(set.contains(text), member, "{text}");
        }
        // Past 63 bytes the length only says "long": the set decides.
        assert!(set.contains(&long[..64]) && set.contains(&long[..66]));
        assert!(!set.contains(&long[..65]) && !set.contains(&long));
        assert!(Val::Int(5).matches(Op::Ge, &Rhs::Int(5)));
        assert!(Val::str("10.1.2.3").matches(Op::Eq, &Rhs::Net("10.0.0.0/8".parse().unwrap())));
        assert!(Val::str("CAFE").matches(Op::BContains, &Rhs::Bytes(b"AF".to_vec())));
        assert_eq!(Val::None.render(), "<NA>");
        assert_eq!(Val::List(vec!["a".into(), "b".into()]).render(), "(a,b)");
        assert_eq!(Val::List(vec!["a".into()]).render(), "a");
        assert_eq!(Val::List(vec![]).render(), "<NA>");
    }
}
