//! Parameter names: every name a decoded event's parameters carry, as a
//! one-byte enum. The state and the rules look parameters up by name on
//! every event; comparing a byte instead of text (and storing one instead of
//! a 24-byte string) is what makes that cheap, and a misspelt name does not
//! compile.

macro_rules! names {
    ($( $variant:ident $text:literal, )*) => {
        /// A parameter's Falco name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Name {
            $( $variant, )*
        }

        impl Name {
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Name::$variant => $text, )*
                }
            }

            /// The name spelt `text`, if Osprey knows it.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $( $text => Some(Name::$variant), )*
                    _ => None,
                }
            }

            #[cfg(test)]
            const ALL: &'static [Name] = &[ $( Name::$variant, )* ];
        }
    };
}

names! {
    Addr "addr",
    Arg "arg",
    Arg0 "arg0",
    Arg1 "arg1",
    Arg2 "arg2",
    Arg3 "arg3",
    Arg4 "arg4",
    Arg5 "arg5",
    Args "args",
    Backlog "backlog",
    CapEffective "cap_effective",
    CapInheritable "cap_inheritable",
    CapPermitted "cap_permitted",
    ClArgs "cl_args",
    Cmd "cmd",
    Cwd "cwd",
    Dev "dev",
    Dir "dir",
    Dirfd "dirfd",
    Domain "domain",
    Egid "egid",
    Env "env",
    Euid "euid",
    Exe "exe",
    ExeIno "exe_ino",
    ExeInoCtime "exe_ino_ctime",
    ExeInoMtime "exe_ino_mtime",
    Fd "fd",
    Fd1 "fd1",
    Fd2 "fd2",
    Filename "filename",
    Flags "flags",
    Gid "gid",
    GroupDead "group_dead",
    KernelPath "kernel_path",
    Length "length",
    Linkdirfd "linkdirfd",
    Linkpath "linkpath",
    ListenFd "listen_fd",
    Mode "mode",
    Name "name",
    Newdir "newdir",
    Newdirfd "newdirfd",
    Newfd "newfd",
    Newpath "newpath",
    Nstype "nstype",
    Olddir "olddir",
    Olddirfd "olddirfd",
    Oldfd "oldfd",
    Oldpath "oldpath",
    Option "option",
    Path "path",
    Pathname "pathname",
    Pgid "pgid",
    Pid "pid",
    Pos "pos",
    Proto "proto",
    Request "request",
    Res "res",
    Resolve "resolve",
    Rgid "rgid",
    Ruid "ruid",
    Sgid "sgid",
    Sig "sig",
    Size "size",
    Status "status",
    Suid "suid",
    Target "target",
    TrustedExepath "trusted_exepath",
    Type "type",
    Uargs "uargs",
    Uid "uid",
    FaultArg0 "fault.arg0",
    FaultArg1 "fault.arg1",
    FaultArg2 "fault.arg2",
    FaultArg3 "fault.arg3",
    FaultArg4 "fault.arg4",
    FaultArg5 "fault.arg5",
    TruncatedArg0 "truncated.arg0",
    TruncatedArg1 "truncated.arg1",
    TruncatedArg2 "truncated.arg2",
    TruncatedArg3 "truncated.arg3",
    TruncatedArg4 "truncated.arg4",
    TruncatedArg5 "truncated.arg5",
}

impl Name {
    /// The argument registers, shown raw where Osprey has no parameter table
    /// for a syscall.
    pub const REGISTERS: [Name; 6] = [Name::Arg0, Name::Arg1, Name::Arg2, Name::Arg3, Name::Arg4, Name::Arg5];

    /// The flag marking argument `arg`'s copy as cut short (`truncated.argN`)
    /// or failed (`fault.argN`); none past the sixth argument.
    pub fn copy_problem(arg: u8, faulted: bool) -> Option<Self> {
        const TRUNCATED: [Name; 6] = [
            Name::TruncatedArg0,
            Name::TruncatedArg1,
            Name::TruncatedArg2,
            Name::TruncatedArg3,
            Name::TruncatedArg4,
            Name::TruncatedArg5,
        ];
        const FAULTED: [Name; 6] =
            [Name::FaultArg0, Name::FaultArg1, Name::FaultArg2, Name::FaultArg3, Name::FaultArg4, Name::FaultArg5];
        (if faulted { FAULTED } else { TRUNCATED }).get(usize::from(arg)).copied()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_from_its_text() {
        for name in Name::ALL {
            assert_eq!(Name::parse(name.as_str()), Some(*name));
        }
        assert_eq!(Name::parse("no_such_parameter"), None);
        assert_eq!(std::mem::size_of::<Name>(), 1);
    }

    #[test]
    fn registers_and_copy_problems_are_named_by_number() {
        for arg in 0..6 {
            for faulted in [false, true] {
                let name = Name::copy_problem(arg, faulted).unwrap();
                let what = if faulted { "fault" } else { "truncated" };
                assert_eq!(name.as_str(), format!("{what}.arg{arg}"));
            }
            assert_eq!(Name::REGISTERS[usize::from(arg)].as_str(), format!("arg{arg}"));
        }
        assert_eq!(Name::copy_problem(6, true), None);
    }
}
