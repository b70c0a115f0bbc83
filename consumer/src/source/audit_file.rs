//! Tailing kube-apiserver's audit log backend (JSON lines): follows rotation
//! (rename or truncation) and persists the read position, so a restart
//! neither loses nor repeats events.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub struct AuditFileTail {
    path: PathBuf,
    position_file: Option<PathBuf>,
    file: Option<File>,
    inode: u64,
    /// Bytes of `inode` consumed as complete lines (what the position records).
    offset: u64,
    partial: Vec<u8>,
}

impl AuditFileTail {
    /// Starts where the position file says (same inode), else at the start.
    pub fn new(path: &Path, position_file: Option<&Path>) -> Self {
        let (inode, offset) = position_file
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| {
                let mut it = s.split_whitespace();
                Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
            })
            .unwrap_or((0, 0));
        Self {
            path: path.into(),
            position_file: position_file.map(Into::into),
            file: None,
            inode,
            offset,
            partial: Vec::new(),
        }
    }

    /// New complete lines since the last call. Call `commit` once they are
    /// processed.
    pub fn poll(&mut self) -> Result<Vec<String>> {
        let mut lines = Vec::new();
        if self.file.is_none() && !self.reopen()? {
            return Ok(lines);
        }
        self.read_available(&mut lines)?;
        // Rotated (a new inode at the path) or truncated: the old file is
        // drained above; continue with the new one from its start.
        let current = std::fs::metadata(&self.path).ok();
        let rotated = current.as_ref().is_some_and(|m| m.ino() != self.inode);
        let truncated = current
            .as_ref()
            .is_some_and(|m| m.ino() == self.inode && m.len() < self.offset + self.partial.len() as u64);
        if rotated || truncated {
            self.file = None;
            self.partial.clear();
            self.inode = 0;
            self.offset = 0;
            if self.reopen()? {
                self.read_available(&mut lines)?;
            }
        }
        Ok(lines)
    }

    /// Records the position after the lines returned so far.
    pub fn commit(&self) -> Result<()> {
        let Some(pos) = &self.position_file else {
            return Ok(());
        };
        let tmp = pos.with_extension("tmp");
        std::fs::write(&tmp, format!("{} {}\n", self.inode, self.offset))
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, pos).with_context(|| format!("replacing {}", pos.display()))?;
        Ok(())
    }

    fn reopen(&mut self) -> Result<bool> {
        let Ok(mut file) = File::open(&self.path) else {
            return Ok(false);
        };
        let meta = file.metadata()?;
        if meta.ino() != self.inode || meta.len() < self.offset {
            self.inode = meta.ino();
            self.offset = 0;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        self.file = Some(file);
        Ok(true)
    }

    fn read_available(&mut self, lines: &mut Vec<String>) -> Result<()> {
        let file = self.file.as_mut().expect("open");
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).with_context(|| format!("reading {}", self.path.display()))?;
        self.partial.extend_from_slice(&buf);
        while let Some(nl) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            self.offset += line.len() as u64;
            let text = String::from_utf8_lossy(&line[..line.len() - 1]).trim().to_string();
            if !text.is_empty() {
                lines.push(text);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn append(path: &Path, text: &str) {
        std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn follows_rotation_and_resumes_without_loss_or_repeat() {
        let dir = std::env::temp_dir().join(format!("osprey-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("audit.log");
        let pos = dir.join("audit.pos");
        append(&log, "a\nb\npart");
        let mut t = AuditFileTail::new(&log, Some(&pos));
        assert_eq!(t.poll().unwrap(), ["a", "b"]);
        t.commit().unwrap();
        append(&log, "ial\n");
        assert_eq!(t.poll().unwrap(), ["partial"]);
        t.commit().unwrap();
        // Restart: nothing repeated.
        let mut t = AuditFileTail::new(&log, Some(&pos));
        assert!(t.poll().unwrap().is_empty());
        // Rotation by rename: the old file's tail, then the new file.
        append(&log, "c\n");
        std::fs::rename(&log, dir.join("audit.log.1")).unwrap();
        append(&log, "d\n");
        assert_eq!(t.poll().unwrap(), ["c", "d"]);
        t.commit().unwrap();
        append(&log, "more\n");
        assert_eq!(t.poll().unwrap(), ["more"]);
        // Truncation in place.
        std::fs::write(&log, "e\n").unwrap();
        assert_eq!(t.poll().unwrap(), ["e"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
