//! The event model every later stage sees: Falco's view of one syscall entry or
//! exit (or process exit), built from a kernel record or from a JSON line of
//! `osprey capture --json`, and written back as such a line.

use std::borrow::Cow;
use std::net::SocketAddr;

use anyhow::{anyhow, bail, Context, Result};
use compact_str::CompactString;
use serde_json::{Map, Value};
use shared_abi::{SyscallTable, COMM_LEN};
use smallvec::SmallVec;

use crate::decode::render::{addr_text, retype, syscall_args, syscall_name, syscall_number, time_of_day};
use crate::decode::spelling::{result_name, Spelling};
use crate::decode::{Record, WallClock};

mod name;
pub use name::Name;

/// One decoded argument value. Strings up to 24 bytes (most short paths)
/// live inline: decoding them allocates nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(i64),
    Str(CompactString),
    List(Vec<CompactString>),
    Bool(bool),
    /// A number Falco spells out (flag names, octal modes, hex), kept as the
    /// kernel wrote it until a rule or an output asks for the text.
    Spelt(u64, Spelling),
    /// An IPv4/IPv6 endpoint.
    Addr(SocketAddr),
}

impl Arg {
    /// Falco's text rendering of the value (lists joined by spaces).
    pub fn render(&self) -> Cow<'_, str> {
        match self {
            Arg::Int(n) => n.to_string().into(),
            Arg::Str(s) => s.as_str().into(),
            Arg::List(l) => l.join(" ").into(),
            Arg::Bool(b) => b.to_string().into(),
            Arg::Spelt(n, spelling) => spelling.spell(*n).into_string().into(),
            Arg::Addr(addr) => addr_text(addr).into_string().into(),
        }
    }

    /// The number behind a spelt value.
    pub fn spelt(&self) -> Option<u64> {
        match self {
            Arg::Spelt(n, _) => Some(*n),
            _ => None,
        }
    }

    pub fn addr(&self) -> Option<SocketAddr> {
        match self {
            Arg::Addr(addr) => Some(*addr),
            _ => None,
        }
    }

    /// The number behind the value, spelt or not.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Arg::Int(n) => Some(*n),
            Arg::Spelt(n, _) => Some(*n as i64),
            Arg::Str(s) => s.parse().ok(),
            _ => None,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Arg::Int(n) => (*n).into(),
            Arg::Str(s) => s.as_str().into(),
            Arg::List(l) => l.iter().map(CompactString::as_str).collect(),
            Arg::Bool(b) => (*b).into(),
            Arg::Spelt(n, spelling) => spelling.name(*n).map_or_else(|| (*n).into(), |name| name.as_str().into()),
            Arg::Addr(_) => self.render().into(),
        }
    }

    fn from_json(v: &Value) -> Option<Self> {
        Some(match v {
            Value::Number(n) => Arg::Int(n.as_i64()?),
            Value::String(s) => Arg::Str(s.as_str().into()),
            Value::Bool(b) => Arg::Bool(*b),
            Value::Array(a) => Arg::List(
                a.iter().map(|x| x.as_str().map_or_else(|| x.to_string().into(), CompactString::from)).collect(),
            ),
            Value::Null | Value::Object(_) => return None,
        })
    }
}

/// A task name (`comm`, Falco's `proc.name`): at most `COMM_LEN` bytes of
/// text, inline and `Copy`, so that decoding one is a 16-byte copy.
#[derive(Clone, Copy, Default)]
pub struct TaskName {
    len: u8,
    bytes: [u8; COMM_LEN],
}

impl TaskName {
    /// The name in a record header (NUL-terminated unless all 16 bytes are
    /// used); bytes that are not UTF-8 text are replaced.
    #[inline]
    pub fn from_kernel(raw: &[u8; COMM_LEN]) -> Self {
        // All 16 bytes tested at once (this runs for every record): no high
        // bit set means ASCII, and then the lowest byte flagged in
        // `(word - 0x01..01) & !word` is the first NUL (bytes before it are
        // 1..=0x7f and borrow nothing).
        const ONES: u128 = u128::from_le_bytes([1; COMM_LEN]);
        const HIGH_BITS: u128 = ONES << 7;
        let word = u128::from_le_bytes(*raw);
        if word & HIGH_BITS == 0 {
            let nuls = word.wrapping_sub(ONES) & !word & HIGH_BITS;
            let len = if nuls == 0 { COMM_LEN as u32 } else { nuls.trailing_zeros() / 8 };
            return Self { len: len as u8, bytes: *raw };
        }
        let len = raw.iter().position(|b| *b == 0).unwrap_or(COMM_LEN);
        Self::from(String::from_utf8_lossy(&raw[..len]).as_ref())
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor keeps the first `len` bytes UTF-8 text
        // (ASCII, or cut from a `str` at a character boundary).
        unsafe { std::str::from_utf8_unchecked(&self.bytes[..self.len as usize]) }
    }
}

impl From<&str> for TaskName {
    /// Longer text is cut at the last character boundary within
    /// `COMM_LEN` bytes, as the kernel keeps a name.
    fn from(text: &str) -> Self {
        let mut len = text.len().min(COMM_LEN);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; COMM_LEN];
        bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        Self { len: len as u8, bytes }
    }
}

impl std::ops::Deref for TaskName {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for TaskName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for TaskName {}

impl std::fmt::Debug for TaskName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl std::fmt::Display for TaskName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parameter: its Falco name and value.
pub type Param = (Name, Arg);

/// Parameters in order, by Falco name; inline up to the most any syscall
/// but exec has, so that decoding allocates no list. Read as a slice.
#[derive(Debug, Clone, Default)]
pub struct Args {
    list: SmallVec<[Param; 8]>,
    /// Some parameter may own heap memory: set by `push` when one does and
    /// by any mutable access.
    owning: bool,
}

impl Args {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn push(&mut self, param: Param) {
        self.owning |= owns_memory(&param);
        self.list.push(param);
    }

    /// Marks the list as owning memory: the caller may store anything.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Param> {
        self.owning = true;
        self.list.iter_mut()
    }

    /// Empties the list, keeping its storage. Most parameters own nothing
    /// (numbers, names and text held inline): a list of only such
    /// parameters is forgotten at once rather than dropped one by one (the
    /// generic drop, called per parameter, cost more than building it, and
    /// even asking each parameter whether it owns memory cost a third of
    /// that).
    pub fn clear(&mut self) {
        if self.owning {
            self.list.clear();
        } else {
            // SAFETY: length 0 is within capacity, and the parameters given
            // up own no memory (`owning` is set whenever one might): not
            // running their destructors leaks nothing.
            unsafe { self.list.set_len(0) }
        }
        self.owning = false;
    }
}

fn owns_memory((_, arg): &Param) -> bool {
    match arg {
        Arg::Str(text) => text.is_heap_allocated(),
        Arg::List(_) => true,
        Arg::Int(_) | Arg::Bool(_) | Arg::Spelt(..) | Arg::Addr(_) => false,
    }
}

impl std::ops::Deref for Args {
    type Target = [Param];

    fn deref(&self) -> &[Param] {
        &self.list
    }
}

impl FromIterator<Param> for Args {
    fn from_iter<I: IntoIterator<Item = Param>>(params: I) -> Self {
        let list: SmallVec<[Param; 8]> = params.into_iter().collect();
        Self { owning: list.iter().any(owns_memory), list }
    }
}

impl PartialEq for Args {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Syscall(u32),
    ProcExit,
}

impl Kind {
    /// Dense index for tables keyed by kind: the x86-64 syscall numbers, then
    /// process exit. Numbers past the table (x32, unknown) have none.
    pub const SLOTS: usize = 513;

    /// Falco's `evt.type`.
    pub fn name(self) -> Cow<'static, str> {
        match self {
            Kind::Syscall(nr) => syscall_name(nr),
            Kind::ProcExit => "procexit".into(),
        }
    }

    /// The kind of a slot (`slot`'s inverse).
    pub fn of_slot(slot: usize) -> Self {
        if slot == Self::SLOTS - 1 {
            Kind::ProcExit
        } else {
            Kind::Syscall(slot as u32)
        }
    }

    pub fn slot(self) -> Option<usize> {
        match self {
            Kind::Syscall(nr) if (nr as usize) < Self::SLOTS - 1 => Some(nr as usize),
            Kind::Syscall(_) => None,
            Kind::ProcExit => Some(Self::SLOTS - 1),
        }
    }
}

/// A set of event kinds as a bitmap: membership is one bit test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindSet([u64; Kind::SLOTS.div_ceil(64)]);

impl KindSet {
    pub fn insert(&mut self, kind: Kind) {
        if let Some(i) = kind.slot() {
            self.0[i / 64] |= 1 << (i % 64);
        }
    }

    pub fn contains(&self, kind: Kind) -> bool {
        kind.slot().is_some_and(|i| self.0[i / 64] & (1 << (i % 64)) != 0)
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Kind> + '_ {
        (0..Kind::SLOTS).filter(|i| self.0[i / 64] & (1 << (i % 64)) != 0).map(Kind::of_slot)
    }
}

impl FromIterator<Kind> for KindSet {
    fn from_iter<I: IntoIterator<Item = Kind>>(kinds: I) -> Self {
        let mut set = KindSet::default();
        kinds.into_iter().for_each(|k| set.insert(k));
        set
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Enter,
    Exit,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub num: u64,
    pub ts_ns: u64,
    pub kind: Kind,
    pub dir: Dir,
    /// The table a syscall was made through (x86-64 for other events).
    pub table: SyscallTable,
    /// An i386 or x32 syscall made by a 32-bit program (not known of others).
    pub from_32bit_program: bool,
    pub cpu: u16,
    /// Return value (exit events).
    pub res: Option<i64>,
    pub tid: u32,
    pub pid: u32,
    pub ppid: u32,
    /// `tid` and `pid` in the task's own pid namespace.
    pub vtid: u32,
    pub vpid: u32,
    pub comm: TaskName,
    pub uid: u32,
    pub gid: u32,
    pub loginuid: i64,
    pub cgroup_id: u64,
    /// Set by recorded events that carry `container.id`; live events are
    /// resolved from `cgroup_id` by the state.
    pub container_id: Option<String>,
    pub args: Args,
}

impl Event {
    /// The event `record` describes, its time made wall time by `clock`.
    pub fn from_record(num: u64, record: &Record<'_>, clock: WallClock) -> Self {
        let mut ev = Self {
            num,
            ts_ns: 0,
            kind: Kind::ProcExit,
            dir: Dir::Exit,
            table: SyscallTable::X86_64,
            from_32bit_program: false,
            cpu: 0,
            res: None,
            tid: 0,
            pid: 0,
            ppid: 0,
            vtid: 0,
            vpid: 0,
            comm: TaskName::default(),
            uid: 0,
            gid: 0,
            loginuid: -1,
            cgroup_id: 0,
            container_id: None,
            args: Args::new(),
        };
        ev.refill(num, record, clock);
        ev
    }

    /// Makes this event the one `record` describes, keeping the argument
    /// list's storage.
    pub fn refill(&mut self, num: u64, record: &Record<'_>, clock: WallClock) {
        let hdr = record.header();
        self.num = num;
        self.ts_ns = clock.wall_ns(hdr.ts_ns);
        self.cpu = hdr.cpu;
        self.tid = hdr.tid;
        self.pid = hdr.pid;
        self.ppid = hdr.ppid;
        self.vtid = hdr.vtid;
        self.vpid = hdr.vpid;
        self.comm = TaskName::from_kernel(&hdr.comm);
        self.uid = hdr.uid;
        self.gid = hdr.gid;
        self.loginuid = hdr.loginuid as i32 as i64;
        self.cgroup_id = hdr.cgroup_id;
        self.container_id = None;
        self.args.clear();
        match record {
            Record::Syscall(sc) => {
                self.kind = Kind::Syscall(sc.rec.nr);
                self.dir = if sc.exit { Dir::Exit } else { Dir::Enter };
                self.table = sc.table;
                self.from_32bit_program = sc.from_32bit_program();
                self.res = sc.exit.then_some(sc.rec.ret);
                syscall_args(sc, &mut self.args);
            }
            Record::ProcessExit(p) => {
                self.kind = Kind::ProcExit;
                self.dir = Dir::Exit;
                self.table = SyscallTable::X86_64;
                self.from_32bit_program = false;
                self.res = None;
                self.args.push((Name::Status, Arg::Int(p.exit_code.into())));
                self.args.push((Name::GroupDead, Arg::Bool(p.group_dead != 0)));
            }
        }
    }

    /// `evt.type`.
    pub fn type_name(&self) -> Cow<'static, str> {
        self.kind.name()
    }

    pub fn arg(&self, name: Name) -> Option<&Arg> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn is_exit(&self) -> bool {
        self.dir == Dir::Exit
    }

    /// The event as one JSON object with Falco field names as keys.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("evt.num".into(), self.num.into());
        obj.insert("evt.time".into(), time_of_day(self.ts_ns).into());
        obj.insert("evt.rawtime".into(), self.ts_ns.into());
        obj.insert("evt.type".into(), self.type_name().into());
        obj.insert("evt.dir".into(), if self.is_exit() { "<" } else { ">" }.into());
        if self.table != SyscallTable::X86_64 || self.from_32bit_program {
            obj.insert("syscall.table".into(), self.table.name().into());
            obj.insert("syscall.program_is_32bit".into(), self.from_32bit_program.into());
        }
        obj.insert("evt.cpu".into(), self.cpu.into());
        if let Some(res) = self.res {
            obj.insert("evt.res".into(), result_name(res).into());
            obj.insert("evt.rawres".into(), res.into());
        }
        obj.insert("proc.pid".into(), self.pid.into());
        obj.insert("thread.tid".into(), self.tid.into());
        obj.insert("proc.ppid".into(), self.ppid.into());
        obj.insert("thread.vtid".into(), self.vtid.into());
        obj.insert("proc.vpid".into(), self.vpid.into());
        obj.insert("proc.name".into(), self.comm.as_str().into());
        obj.insert("user.uid".into(), self.uid.into());
        obj.insert("group.gid".into(), self.gid.into());
        obj.insert("user.loginuid".into(), self.loginuid.into());
        obj.insert("cgroup.id".into(), self.cgroup_id.into());
        if let Some(id) = &self.container_id {
            obj.insert("container.id".into(), id.as_str().into());
        }
        let args = self.args.iter().map(|(k, v)| (k.as_str().to_string(), v.to_json())).collect();
        obj.insert("evt.args".into(), Value::Object(args));
        Value::Object(obj)
    }

    /// Reads an event back from `to_json`'s format; errors name the field.
    pub fn from_json(v: &Value) -> Result<Self> {
        let obj = v.as_object().ok_or_else(|| anyhow!("not a JSON object"))?;
        let num = |key: &str| -> Result<u64> {
            obj.get(key).and_then(Value::as_u64).ok_or_else(|| anyhow!("field '{key}' is missing or not a number"))
        };
        let opt_num = |key: &str| obj.get(key).and_then(Value::as_u64).unwrap_or(0);
        let type_name = obj.get("evt.type").and_then(Value::as_str).context("field 'evt.type' is missing")?;
        let kind = match type_name {
            "procexit" => Kind::ProcExit,
            name => Kind::Syscall(
                syscall_number(name).ok_or_else(|| anyhow!("field 'evt.type': unknown event type '{name}'"))?,
            ),
        };
        let dir = match obj.get("evt.dir").and_then(Value::as_str) {
            Some(">") => Dir::Enter,
            Some("<") => Dir::Exit,
            other => bail!("field 'evt.dir' must be '>' or '<', got {other:?}"),
        };
        let tid = num("thread.tid")? as u32;
        let pid = num("proc.pid")? as u32;
        let mut args = Args::new();
        if let Some(a) = obj.get("evt.args") {
            let a = a.as_object().context("field 'evt.args' is not an object")?;
            for (k, v) in a {
                let name = Name::parse(k).ok_or_else(|| anyhow!("field 'evt.args': unknown parameter '{k}'"))?;
                if let Some(arg) = Arg::from_json(v) {
                    args.push((name, arg));
                }
            }
            if let Kind::Syscall(nr) = kind {
                retype(nr, &mut args);
            }
        }
        let table = match obj.get("syscall.table") {
            None => SyscallTable::X86_64,
            Some(v) => v
                .as_str()
                .and_then(SyscallTable::from_name)
                .ok_or_else(|| anyhow!("field 'syscall.table': {v} is not x86_64, i386 or x32"))?,
        };
        Ok(Self {
            num: opt_num("evt.num"),
            ts_ns: num("evt.rawtime")?,
            kind,
            dir,
            table,
            from_32bit_program: obj.get("syscall.program_is_32bit").and_then(Value::as_bool).unwrap_or_default(),
            cpu: opt_num("evt.cpu") as u16,
            res: obj.get("evt.rawres").and_then(Value::as_i64),
            tid,
            pid,
            ppid: opt_num("proc.ppid") as u32,
            // Captures from before namespaces were recorded: the host ids.
            vtid: obj.get("thread.vtid").and_then(Value::as_u64).map_or(tid, |v| v as u32),
            vpid: obj.get("proc.vpid").and_then(Value::as_u64).map_or(pid, |v| v as u32),
            comm: obj.get("proc.name").and_then(Value::as_str).unwrap_or_default().into(),
            uid: opt_num("user.uid") as u32,
            gid: opt_num("group.gid") as u32,
            loginuid: obj.get("user.loginuid").and_then(Value::as_i64).unwrap_or(-1),
            cgroup_id: opt_num("cgroup.id"),
            container_id: obj.get("container.id").and_then(Value::as_str).map(str::to_string),
            args,
        })
    }

    /// One text line, in the spirit of sysdig/Falco's default event format.
    pub fn to_text(&self) -> String {
        let args: Vec<String> = self.args.iter().map(|(k, v)| format!("{k}={}", v.render())).collect();
        format!(
            "{} {} {} {} ({}) {} {} {}",
            self.num,
            time_of_day(self.ts_ns),
            self.cpu,
            self.comm,
            self.tid,
            if self.is_exit() { "<" } else { ">" },
            self.type_name(),
            args.join(" ")
        )
    }
}

/// Events decoded from records, in a list whose events are refilled in
/// place: a steady stream neither moves events nor frees and reallocates
/// their argument lists. An unused event keeps what it held until it is
/// refilled (a refilled one keeps only its argument list's capacity), so a
/// batch holds at most what the largest records of each of its slots
/// needed: bounded by the record size, never growing with time.
#[derive(Debug, Default)]
pub struct EventBatch {
    events: Vec<Event>,
    /// The first `len` events are this batch's; the rest wait for reuse.
    len: usize,
}

impl EventBatch {
    pub fn push_record(&mut self, num: u64, record: &Record<'_>, clock: WallClock) {
        match self.events.get_mut(self.len) {
            Some(ev) => ev.refill(num, record, clock),
            None => self.events.push(Event::from_record(num, record, clock)),
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Event> {
        self.events[..self.len].iter()
    }

    /// Events held, in use or kept for reuse.
    pub fn capacity(&self) -> usize {
        self.events.len()
    }

    /// Empties the batch, keeping its events for reuse.
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, encode};
    use shared_abi::{nr, BlobKind, RecordHeader};

    #[test]
    fn json_round_trip() {
        let bytes = encode::syscall(
            RecordHeader { ts_ns: 5, tid: 9, pid: 9, ppid: 1, loginuid: u32::MAX, ..Default::default() },
            true,
            nr::EXECVE,
            0,
            [0; 6],
            &[(BlobKind::Args, 0, 0, b"/bin/ls\0-l\0"), (BlobKind::Exe, 0, 0, b"/usr/bin/ls")],
        );
        let ev = Event::from_record(3, &decode(&bytes).unwrap().unwrap(), WallClock::default());
        let back = Event::from_json(&ev.to_json()).unwrap();
        assert_eq!(back, ev);
        assert_eq!(back.loginuid, -1);
        assert_eq!(back.arg(Name::Exe), Some(&Arg::Str("/bin/ls".into())));
        assert!(ev.to_text().contains("execve res=0 exe=/bin/ls args=-l"), "{}", ev.to_text());
    }

    #[test]
    fn refilled_events_equal_freshly_decoded_ones() {
        let hdr = |pid: u32| RecordHeader {
            ts_ns: pid.into(),
            tid: pid,
            pid,
            comm: *b"bash\0\0\0\0\0\0\0\0\0\0\0\0",
            ..Default::default()
        };
        let first = [
            encode::syscall(hdr(1), true, nr::EXECVE, 0, [0; 6], &[(BlobKind::Args, 0, 0, b"/bin/ls\0-l\0")]),
            encode::syscall(hdr(2), false, nr::OPENAT, 0, [0; 6], &[(BlobKind::Str, 1, 0, b"/etc/hosts")]),
        ];
        let second =
            [encode::process_exit(hdr(3), 9), encode::syscall(hdr(4), true, nr::CLOSE, 0, [3, 0, 0, 0, 0, 0], &[])];
        let mut batch = EventBatch::default();
        for (round, records) in [&first[..], &second[..]].into_iter().enumerate() {
            batch.clear();
            for (i, bytes) in records.iter().enumerate() {
                batch.push_record(i as u64, &decode(bytes).unwrap().unwrap(), WallClock::default());
            }
            let fresh: Vec<Event> = records
                .iter()
                .enumerate()
                .map(|(i, b)| Event::from_record(i as u64, &decode(b).unwrap().unwrap(), WallClock::default()))
                .collect();
            assert_eq!(batch.iter().cloned().collect::<Vec<_>>(), fresh, "round {round}");
        }
    }

    #[test]
    fn an_argument_list_knows_when_emptying_it_must_drop_its_arguments() {
        let mut args = Args::new();
        args.push((Name::Fd, Arg::Int(3)));
        args.push((Name::Name, Arg::Str("inline".into())));
        assert!(!args.owning);
        args.push((Name::Name, Arg::Str("a path of more than twenty-four bytes".into())));
        assert!(args.owning, "text on the heap");
        args.clear();
        assert!(args.is_empty() && !args.owning);
        args.push((Name::Args, Arg::List(vec![])));
        assert!(args.owning, "a list");
        args.clear();
        args.push((Name::Fd, Arg::Int(3)));
        args.iter_mut().for_each(drop);
        assert!(args.owning, "mutable access may have stored anything");
    }

    #[test]
    fn the_syscall_table_survives_json() {
        let mut bytes = encode::syscall(RecordHeader::default(), true, nr::EXECVE, -2, [0; 6], &[]);
        let at = std::mem::offset_of!(shared_abi::SyscallRecord, table);
        (bytes[at], bytes[at + 1]) = (SyscallTable::I386 as u8, shared_abi::SYSCALL_FROM_32BIT_PROGRAM);
        let ev = Event::from_record(1, &decode(&bytes).unwrap().unwrap(), WallClock::default());
        assert_eq!((ev.table, ev.from_32bit_program), (SyscallTable::I386, true));
        let mut v = ev.to_json();
        assert_eq!(Event::from_json(&v).unwrap(), ev);
        v["syscall.table"] = "arm64".into();
        let err = Event::from_json(&v).unwrap_err().to_string();
        assert!(err.contains("syscall.table") && err.contains("arm64"), "{err}");
    }

    #[test]
    fn json_arguments_get_the_types_decoding_gives() {
        let line = |nr: &str, args: Value| {
            serde_json::json!({"evt.type": nr, "evt.dir": "<", "evt.rawtime": 1, "proc.pid": 2, "thread.tid": 2,
                "evt.args": args})
        };
        let open = Event::from_json(&line("openat", serde_json::json!({"flags": "O_WRONLY|O_CREAT", "mode": 420})));
        let open = open.unwrap();
        assert_eq!(open.arg(Name::Flags), Some(&Arg::Spelt(0o101, Spelling::OpenFlags)));
        assert_eq!(open.arg(Name::Mode), Some(&Arg::Spelt(0o644, Spelling::Mode)));
        let conn = Event::from_json(&line("connect", serde_json::json!({"addr": "::1:80"}))).unwrap();
        assert_eq!(conn.arg(Name::Addr).and_then(Arg::addr), Some("[::1]:80".parse().unwrap()));
        let unix = Event::from_json(&line("connect", serde_json::json!({"addr": "/run/x.sock"}))).unwrap();
        assert_eq!(unix.arg(Name::Addr), Some(&Arg::Str("/run/x.sock".into())));
        let socket = Event::from_json(&line("socket", serde_json::json!({"domain": 45, "type": 1}))).unwrap();
        assert_eq!(socket.arg(Name::Domain), Some(&Arg::Spelt(45, Spelling::Family)));
        let json = socket.to_json();
        assert_eq!(json["evt.args"]["domain"], 45, "an unnamed family stays a number");
        assert_eq!(json["evt.args"]["type"], 1, "the socket type is a number, as Falco gives it");
        assert_eq!(Event::from_json(&json).unwrap(), socket);
        let odd = Event::from_json(&line("openat", serde_json::json!({"flags": "O_BOGUS"}))).unwrap();
        assert_eq!(odd.arg(Name::Flags), Some(&Arg::Str("O_BOGUS".into())), "text that is no spelling stays text");
    }

    #[test]
    fn task_names_are_kept_as_the_kernel_keeps_them() {
        let raw = |text: &[u8]| {
            let mut bytes = [0u8; COMM_LEN];
            bytes[..text.len()].copy_from_slice(text);
            bytes
        };
        for len in 0..COMM_LEN {
            let name = &b"0123456789abcdef"[..len];
            assert_eq!(TaskName::from_kernel(&raw(name)).as_str().as_bytes(), name);
        }
        let mut after_nul = raw(b"bash");
        after_nul[5..].fill(0xff);
        assert_eq!(TaskName::from_kernel(&after_nul).as_str(), "bash", "bytes after the NUL do not count");
        assert_eq!(TaskName::from_kernel(b"kworker/u8:1-eve").as_str(), "kworker/u8:1-eve", "all 16 bytes");
        assert_eq!(TaskName::from_kernel(&raw(b"caf\xc3\xa9")).as_str(), "café");
        assert_eq!(TaskName::from_kernel(&raw(b"x\xff")).as_str(), "x\u{fffd}");
        assert_eq!(TaskName::from("a-name-longer-than-sixteen").as_str(), "a-name-longer-th");
        // Cut at a character boundary: 'é' would straddle byte 16.
        assert_eq!(TaskName::from("fifteen-chars-xé").as_str(), "fifteen-chars-x");
        assert_eq!(TaskName::from("sh"), TaskName::from_kernel(&raw(b"sh")));
    }

    #[test]
    fn bad_json_names_the_field() {
        let err = Event::from_json(&serde_json::json!({"evt.type": "nope", "evt.dir": "<"})).unwrap_err();
        assert!(err.to_string().contains("evt.type"), "{err}");
        let err = Event::from_json(&serde_json::json!({"evt.type": "open", "evt.dir": "x"})).unwrap_err();
        assert!(err.to_string().contains("evt.dir"), "{err}");
        let err = Event::from_json(&serde_json::json!({"evt.type": "open", "evt.dir": "<", "evt.rawtime": 1,
            "proc.pid": 2, "thread.tid": 2, "evt.args": {"fd": 3, "colour": "red"}}))
        .unwrap_err();
        assert!(err.to_string().contains("evt.args") && err.to_string().contains("colour"), "{err}");
    }
}
