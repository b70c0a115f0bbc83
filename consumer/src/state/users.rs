//! Users and groups from /etc/passwd and /etc/group (of the host, or of a
//! container through a process's root), reloaded when they change.

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

#[derive(Debug, Clone, Default)]
pub struct User {
    pub name: String,
    pub home: String,
    pub shell: String,
}

#[derive(Debug, Default)]
pub struct Users {
    root: PathBuf,
    users: HashMap<u32, User>,
    groups: HashMap<u32, String>,
    loaded: Option<(SystemTime, SystemTime)>,
}

impl Users {
    /// Reads `<root>/etc/passwd` and `<root>/etc/group`.
    pub fn load(root: &Path) -> Self {
        let mut u = Users { root: root.to_path_buf(), ..Default::default() };
        u.refresh();
        u
    }

    /// Re-reads the files if their modification times changed. Keeps what it
    /// has when the root is gone (a container's process exited).
    pub fn refresh(&mut self) {
        let passwd = self.root.join("etc/passwd");
        let group = self.root.join("etc/group");
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
        let stamp = (mtime(&passwd), mtime(&group));
        if self.loaded == Some(stamp) || (self.loaded.is_some() && !passwd.exists()) {
            return;
        }
        self.loaded = Some(stamp);
        self.users = parse_passwd(&std::fs::read_to_string(&passwd).unwrap_or_default());
        self.groups = parse_group(&std::fs::read_to_string(&group).unwrap_or_default());
    }

    pub fn user(&self, uid: u32) -> Option<&User> {
        self.users.get(&uid)
    }

    pub fn group(&self, gid: u32) -> Option<&str> {
        self.groups.get(&gid).map(String::as_str)
    }
}

fn parse_passwd(text: &str) -> HashMap<u32, User> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            let uid = f.get(2)?.parse().ok()?;
            Some((uid, User { name: f[0].into(), home: f.get(5)?.to_string(), shell: f.get(6)?.to_string() }))
        })
        .collect()
}

fn parse_group(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse().ok()?, f[0].to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_skips_garbage() {
        let u = parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\nbroken\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n",
        );
        assert_eq!(u[&0].name, "root");
        assert_eq!(u[&65534].shell, "/usr/sbin/nologin");
        assert_eq!(parse_group("root:x:0:\nadm:x:4:syslog\n")[&4], "adm");
    }
}
