//! `stockade run` command lines in the forms scripts write, read without
//! clap. Building clap's tree of every subcommand and option and parsing
//! with it is a sixteenth of a whole start (its code and allocations, then
//! their copy into the sandbox's init and their teardown). This reads the
//! plain forms only; anything else (help, a version, a short-option
//! cluster, an `=` after a flag, a repeated option, a conflict, a numeric
//! option, a value that starts with `-`, a word that is not UTF-8 before
//! the command, an unknown word) returns `None`, and clap parses the line
//! as before, with its messages. The tests hold the two to the same
//! answer: every option of `run` is either read here or left to clap, and
//! on generated command lines the result read here is clap's.

use super::args::{NetMode, RunArgs};
use std::ffi::OsString;

/// An option of `run` read here, by its long name.
#[derive(Clone, Copy)]
enum Opt {
    /// A flag (no value), at most once.
    Flag(fn(&mut RunArgs)),
    /// An option with one value, at most once, read by the function
    /// (`None`: a value clap refuses).
    One(fn(&mut RunArgs, &str) -> Option<()>),
    /// An option with one value kept as written, at most once.
    Text(fn(&mut RunArgs) -> &mut Option<String>),
    /// An option with a value, repeatable.
    Many(fn(&mut RunArgs) -> &mut Vec<String>),
}

/// The options read here: (long name, short name, how). The options of
/// `run` not listed (`--pids`, `--cpus`, `--status-fd`) go to clap.
const OPTS: &[(&str, Option<char>, Opt)] = &[
    (
        "profile",
        Some('p'),
        Opt::One(|a, v| {
            a.profile = v.to_owned();
            Some(())
        }),
    ),
    ("quiet", Some('q'), Opt::Flag(|a| a.quiet = true)),
    ("verbose", Some('v'), Opt::Flag(|a| a.verbose = true)),
    ("ro", None, Opt::Many(|a| &mut a.ro)),
    ("rw", None, Opt::Many(|a| &mut a.rw)),
    ("tmpfs", None, Opt::Many(|a| &mut a.tmpfs)),
    ("env", None, Opt::Many(|a| &mut a.env)),
    ("keep-env", None, Opt::Many(|a| &mut a.keep_env)),
    ("fd", None, Opt::Many(|a| &mut a.fd)),
    ("chdir", None, Opt::Text(|a| &mut a.chdir)),
    (
        "net",
        None,
        Opt::One(|a, v| {
            a.net = Some(match v {
                "none" => NetMode::None,
                "host" => NetMode::Host,
                _ => return None,
            });
            Some(())
        }),
    ),
    ("hostname", None, Opt::Text(|a| &mut a.hostname)),
    ("timeout", None, Opt::Text(|a| &mut a.timeout)),
    ("memory", None, Opt::Text(|a| &mut a.memory)),
    (
        "cgroup-parent",
        None,
        Opt::One(|a, v| {
            a.cgroup_parent = Some(v.into());
            Some(())
        }),
    ),
    ("user", None, Opt::Text(|a| &mut a.user)),
    ("channel", None, Opt::Flag(|a| a.channel = true)),
    (
        "channel-socket",
        None,
        Opt::Flag(|a| a.channel_socket = true),
    ),
    ("timings", None, Opt::Flag(|a| a.timings = true)),
    ("learn", None, Opt::Flag(|a| a.learn = true)),
    ("pty", None, Opt::Flag(|a| a.pty = true)),
    ("no-pty", None, Opt::Flag(|a| a.no_pty = true)),
    ("trace-setup", None, Opt::Flag(|a| a.trace_setup = true)),
];

// `run_args` marks the options given in a u64, one bit each.
const _: () = assert!(OPTS.len() <= 64);

/// `run`'s options as clap would read `argv` (the program's name first),
/// or `None` to let clap read it.
pub(super) fn run_args(argv: &[OsString]) -> Option<RunArgs> {
    let mut words = argv.iter().skip(1);
    if words.next()? != "run" {
        return None;
    }
    let mut args = RunArgs {
        profile: crate::profile::DEFAULT_PROFILE.to_owned(),
        ro: Vec::new(),
        rw: Vec::new(),
        tmpfs: Vec::new(),
        chdir: None,
        net: None,
        hostname: None,
        env: Vec::new(),
        keep_env: Vec::new(),
        timeout: None,
        memory: None,
        pids: None,
        cpus: None,
        cgroup_parent: None,
        user: None,
        fd: Vec::new(),
        channel: false,
        channel_socket: false,
        status_fd: None,
        verbose: false,
        quiet: false,
        timings: false,
        learn: false,
        pty: false,
        no_pty: false,
        trace_setup: false,
        command: Vec::new(),
    };
    // Options given, by their index in OPTS: each single one at most once.
    let mut seen = 0u64;
    loop {
        let word = words.next()?;
        if word == "--" {
            args.command = words.cloned().collect();
            break;
        }
        let w = word.to_str()?;
        if !w.starts_with('-') {
            args.command = std::iter::once(word).chain(words).cloned().collect();
            break;
        }
        let (at, inline) = match w.strip_prefix("--") {
            Some(long) => {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                (OPTS.iter().position(|o| o.0 == name)?, value)
            }
            None => {
                let mut chars = w[1..].chars();
                let (c, None) = (chars.next()?, chars.next()) else {
                    return None;
                };
                (OPTS.iter().position(|o| o.1 == Some(c))?, None)
            }
        };
        let bit = 1u64 << at;
        match OPTS[at].2 {
            Opt::Flag(set) => {
                if inline.is_some() || seen & bit != 0 {
                    return None;
                }
                set(&mut args);
            }
            Opt::One(_) | Opt::Text(_) if seen & bit != 0 => return None,
            Opt::One(set) => set(&mut args, value(inline, &mut words)?)?,
            Opt::Text(field) => *field(&mut args) = Some(value(inline, &mut words)?.to_owned()),
            Opt::Many(list) => list(&mut args).push(value(inline, &mut words)?.to_owned()),
        }
        seen |= bit;
    }
    let conflict = (args.quiet && args.verbose) || (args.pty && args.no_pty);
    (!args.command.is_empty() && !conflict).then_some(args)
}

/// An option's value: after `=`, else the next word; one clap would
/// question (empty, or starting with `-`) is left to clap.
fn value<'a>(
    inline: Option<&'a str>,
    words: &mut impl Iterator<Item = &'a OsString>,
) -> Option<&'a str> {
    let v = match inline {
        Some(v) => v,
        None => words.next()?.to_str()?,
    };
    (!v.is_empty() && !v.starts_with('-')).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn clap_run_args(argv: &[OsString]) -> Option<RunArgs> {
        let m = super::super::args::Cli::command()
            .try_get_matches_from(argv)
            .ok()?;
        match super::super::args::Cli::from_arg_matches(&m).ok()?.command {
            super::super::args::Command::Run(a) => Some(*a),
            _ => None,
        }
    }

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    /// Every option of `run` in clap's definition is read here with the
    /// same names and arity, or is one of those left to clap; every one
    /// read here is clap's. A new option of `run` fails this until it is
    /// given a place.
    #[test]
    fn every_option_of_run_is_read_here_or_left_to_clap() {
        let cli = super::super::args::Cli::command();
        let run = cli.find_subcommand("run").unwrap();
        let left_to_clap = ["pids", "cpus", "status-fd"];
        let mut listed = 0;
        for arg in run.get_arguments() {
            let Some(long) = arg.get_long() else {
                assert!(arg.is_positional(), "{:?} has no long name", arg.get_id());
                continue;
            };
            if long == "help" || long == "version" || left_to_clap.contains(&long) {
                continue;
            }
            let (_, short, how) = OPTS
                .iter()
                .find(|o| o.0 == long)
                .unwrap_or_else(|| panic!("--{long} is neither read here nor left to clap"));
            assert_eq!(arg.get_short(), *short, "--{long}: short name");
            let takes_value = arg.get_action().takes_values();
            let repeatable = matches!(arg.get_action(), clap::ArgAction::Append);
            let (want_value, want_repeat) = match how {
                Opt::Flag(_) => (false, false),
                Opt::One(_) | Opt::Text(_) => (true, false),
                Opt::Many(_) => (true, true),
            };
            assert_eq!(takes_value, want_value, "--{long}: takes a value");
            assert_eq!(repeatable, want_repeat, "--{long}: repeatable");
            listed += 1;
        }
        assert_eq!(
            listed,
            OPTS.len(),
            "an option read here that clap does not have"
        );
        for l in left_to_clap {
            assert!(
                run.get_arguments().any(|a| a.get_long() == Some(l)),
                "--{l}"
            );
        }
    }

    /// The forms the documentation, the benchmarks and scripts use are
    /// read here (the gain is not silently lost), and as clap reads them.
    #[test]
    fn plain_command_lines_are_read_here_as_clap_reads_them() {
        for line in [
            "stockade run -- /bin/true",
            "stockade run -q -p strict -- /bin/true",
            "stockade run -p strict --timings -- /bin/true",
            "stockade run --profile=shell --ro /srv/data --rw .:/work --chdir /work -- make -j4",
            "stockade run -p python --net none --env A=1 --env B=2 --keep-env TERM -- python3 -c pass",
            "stockade run --timeout 30s --memory 512M --user root --no-pty sh -c true",
            "stockade run --channel --channel-socket --fd 3 --fd 4:5 -v -- ./plugin --flag",
            "stockade run --tmpfs /scratch --hostname box --cgroup-parent /sys/fs/cgroup/x --learn --trace-setup ls -l",
            "stockade run --pty bash",
            "stockade run ls -- -x",
            "stockade run -- --",
        ] {
            let argv = os(&line.split(' ').collect::<Vec<_>>());
            let fast = run_args(&argv).unwrap_or_else(|| panic!("not read here: {line}"));
            assert_eq!(Some(&fast), clap_run_args(&argv).as_ref(), "{line}");
        }
    }

    /// What is left to clap: its own messages and forms.
    #[test]
    fn other_forms_are_left_to_clap() {
        for line in [
            "stockade run",
            "stockade run -q",
            "stockade run --help",
            "stockade run -h",
            "stockade run --version",
            "stockade run -qv -- true",
            "stockade run -q -v -- true",
            "stockade run -pstrict -- true",
            "stockade run -q -q -- true",
            "stockade run --quiet=yes -- true",
            "stockade run --pty --no-pty -- true",
            "stockade run --net bogus -- true",
            "stockade run --pids 5 -- true",
            "stockade run --chdir -- true",
            "stockade run --chdir= -- true",
            "stockade run -p a -p b -- true",
            "stockade run --nope -- true",
            "stockade run - true",
            "stockade check strict",
            "stockade",
        ] {
            let argv = os(&line.split(' ').collect::<Vec<_>>());
            assert_eq!(run_args(&argv), None, "{line}");
        }
        // A word that is not UTF-8 before the command, and one after it.
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'-', b'-', b'e', b'n', b'v', b'=', 0xff]);
        assert_eq!(
            run_args(&[os(&["stockade", "run"]), vec![bad]].concat()),
            None
        );
        let argv = [
            os(&["stockade", "run", "--", "echo"]),
            vec![OsString::from_vec(vec![0xff])],
        ]
        .concat();
        assert_eq!(run_args(&argv), clap_run_args(&argv));
    }

    /// Command lines drawn from the words of `run`, its values and
    /// mistakes: whatever is read here, clap reads the same way.
    #[test]
    fn generated_command_lines_read_here_are_read_the_same_by_clap() {
        let vocabulary = [
            "-p",
            "strict",
            "--profile",
            "--profile=shell",
            "-q",
            "-v",
            "--quiet",
            "--verbose",
            "--ro",
            "--ro=/usr",
            "/srv:/data",
            "--rw",
            ".",
            "--tmpfs",
            "/t",
            "--env",
            "A=B",
            "--keep-env",
            "TERM",
            "--fd",
            "3",
            "--chdir",
            "/tmp",
            "--net",
            "none",
            "host",
            "bogus",
            "--net=host",
            "--hostname",
            "--timeout",
            "5s",
            "--memory",
            "1G",
            "--user",
            "root",
            "--cgroup-parent",
            "--channel",
            "--channel-socket",
            "--timings",
            "--learn",
            "--pty",
            "--no-pty",
            "--trace-setup",
            "--pids",
            "--cpus",
            "0.5",
            "--status-fd",
            "--",
            "-",
            "-x",
            "-qv",
            "-pstrict",
            "",
            "--help",
            "-h",
            "--version",
            "--nope",
            "--quiet=1",
            "true",
            "sh",
            "-c",
            "echo -n",
            "=",
        ];
        // A fixed sequence (xorshift), so a failure reproduces.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let (mut read_here, total) = (0, 30_000);
        for _ in 0..total {
            let len = next(9);
            let mut argv = os(&["stockade", "run"]);
            argv.extend((0..len).map(|_| OsString::from(vocabulary[next(vocabulary.len())])));
            if let Some(fast) = run_args(&argv) {
                read_here += 1;
                assert_eq!(Some(fast), clap_run_args(&argv), "{argv:?}");
            }
        }
        // The comparison covers a good share of the lines, not a handful.
        assert!(read_here > total / 20, "{read_here} of {total} read here");
    }
}
