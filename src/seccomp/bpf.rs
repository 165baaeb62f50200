//! Classic BPF opcodes and a disassembler for `stockade explain --bpf`.

use seccompiler::sock_filter;

// Opcodes (linux/filter.h, linux/bpf_common.h).
pub(crate) const LD_W_ABS: u16 = 0x20;
pub(crate) const JEQ_K: u16 = 0x15;
pub(crate) const JGE_K: u16 = 0x35;
pub(crate) const JGT_K: u16 = 0x25;
pub(crate) const JSET_K: u16 = 0x45;
pub(crate) const JA: u16 = 0x05;
/// `ret #k`.
pub const RET_K: u16 = 0x06;
pub(crate) const AND_K: u16 = 0x54;
pub(crate) const LD_IMM: u16 = 0x00;
pub(crate) const ST: u16 = 0x02;
pub(crate) const LDX_MEM: u16 = 0x61;
pub(crate) const LD_MEM: u16 = 0x60;

/// Bit that marks x32 syscall numbers on x86_64.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

fn ret_name(k: u32) -> String {
    let data = k & 0xffff;
    match k & 0xffff_0000 {
        0x8000_0000 => "KILL_PROCESS".into(),
        0x0000_0000 => "KILL_THREAD".into(),
        0x0003_0000 => "TRAP".into(),
        0x0005_0000 => format!("ERRNO({data})"),
        0x7fc0_0000 => "USER_NOTIF".into(),
        0x7ff0_0000 => format!("TRACE({data})"),
        0x7ffc_0000 => "LOG".into(),
        0x7fff_0000 => "ALLOW".into(),
        _ => format!("{k:#x}"),
    }
}

/// The argument at offset `k` of `seccomp_data`, and whether it is its
/// high half.
fn arg_at(k: u32) -> Option<(u32, bool)> {
    let off = k.checked_sub(16).filter(|o| *o < 48)?;
    Some((off / 8, off % 8 == 4))
}

fn field(k: u32) -> String {
    match (k, arg_at(k)) {
        (_, Some((arg, hi))) => format!("args[{arg}]{}", if hi { "_hi" } else { "" }),
        (0, _) => "nr".into(),
        (4, _) => "arch".into(),
        (8, _) => "ip".into(),
        (12, _) => "ip_hi".into(),
        _ => format!("[{k}]"),
    }
}

/// One instruction in readable form; `at` is its index (jump targets are
/// printed as absolute indexes).
pub fn disassemble_one(at: usize, i: &sock_filter) -> String {
    let to = |off: u8| at + 1 + off as usize;
    let (code, k) = (i.code, i.k);
    match code {
        LD_W_ABS => format!("ld {}", field(k)),
        LD_IMM => format!("ld #{k:#x}"),
        LD_MEM => format!("ld M[{k}]"),
        LDX_MEM => format!("ldx M[{k}]"),
        ST => format!("st M[{k}]"),
        AND_K => format!("and #{k:#x}"),
        JA => format!("ja {}", at + 1 + k as usize),
        JEQ_K | JGE_K | JGT_K | JSET_K => {
            let op = match code {
                JEQ_K => "jeq",
                JGE_K => "jge",
                JGT_K => "jgt",
                _ => "jset",
            };
            format!("{op} #{k:#x}, {}, {}", to(i.jt), to(i.jf))
        }
        RET_K => format!("ret {}", ret_name(k)),
        _ => format!("op {code:#06x} jt {} jf {} k {k:#x}", i.jt, i.jf),
    }
}

/// Runs a classic BPF seccomp program on one call as the kernel would.
#[cfg(test)]
pub fn run(prog: &[sock_filter], arch: u32, nr: u32, args: &[u64; 6]) -> u32 {
    let data = |k: u32| -> u32 {
        match k {
            0 => nr,
            4 => arch,
            16..=63 => {
                let w = args[((k - 16) / 8) as usize];
                if (k - 16) % 8 == 4 {
                    (w >> 32) as u32
                } else {
                    w as u32
                }
            }
            _ => 0,
        }
    };
    let (mut a, mut pc) = (0u32, 0usize);
    loop {
        let i = &prog[pc];
        pc += 1;
        let jump = |cond: bool| if cond { i.jt as usize } else { i.jf as usize };
        match i.code {
            0x20 => a = data(i.k),
            0x00 => a = i.k,
            0x54 => a &= i.k,
            0x05 => pc += i.k as usize,
            0x15 => pc += jump(a == i.k),
            0x25 => pc += jump(a > i.k),
            0x35 => pc += jump(a >= i.k),
            0x45 => pc += jump(a & i.k != 0),
            0x06 => return i.k,
            c => panic!("opcode {c:#x} at {}", pc - 1),
        }
    }
}

/// The whole program, one numbered instruction per line.
#[cfg(test)]
pub fn disassemble(prog: &[sock_filter]) -> String {
    prog.iter()
        .enumerate()
        .map(|(n, i)| format!("{n:04}: {}\n", disassemble_one(n, i)))
        .collect()
}

/// Which syscall's rules each instruction belongs to: the number range
/// each dispatch jump leaves is followed from the first `ld nr`, and an
/// instruction reached with a single number (that is not itself a jump
/// of the dispatch) starts that syscall's rule block, which runs until the
/// next block starts.
fn rule_blocks(prog: &[sock_filter]) -> Vec<Option<u32>> {
    let mut start: Vec<Option<u32>> = vec![None; prog.len()];
    let Some(first) = prog.iter().position(|i| i.code == LD_W_ABS && i.k == 0) else {
        return start;
    };
    let mut seen = vec![false; prog.len()];
    let mut todo = vec![(first + 1, 0u32, u32::MAX)];
    while let Some((at, lo, hi)) = todo.pop() {
        let Some(i) = prog.get(at) else { continue };
        if lo > hi || std::mem::replace(&mut seen[at], true) {
            continue;
        }
        let (t, f) = (at + 1 + i.jt as usize, at + 1 + i.jf as usize);
        match i.code {
            JGE_K => {
                todo.push((t, lo.max(i.k), hi));
                todo.push((f, lo, hi.min(i.k.wrapping_sub(1))));
            }
            JGT_K => {
                todo.push((t, lo.max(i.k.saturating_add(1)), hi));
                todo.push((f, lo, hi.min(i.k)));
            }
            JEQ_K => {
                todo.push((t, i.k, i.k));
                todo.push((f, lo, hi));
            }
            JA => todo.push((at + 1 + i.k as usize, lo, hi)),
            RET_K => {}
            _ if lo == hi => start[at] = Some(lo),
            _ => {}
        }
    }
    let mut current = None;
    let mut out = vec![None; prog.len()];
    for (n, s) in start.into_iter().enumerate() {
        if s.is_some() {
            current = s;
        }
        out[n] = current;
    }
    out
}

/// The constant names an argument of a syscall is compared with, by the
/// prefix of their names.
const ARG_NAMES: &[(&str, u32, &[&str])] = &[
    ("socket", 0, &["AF_"]),
    ("socket", 1, &["SOCK_"]),
    ("socket", 2, &["NETLINK_"]),
    ("socketpair", 0, &["AF_"]),
    ("ioctl", 1, &["TIOC", "TCGETS", "TCSETS", "FIO"]),
    ("clone", 0, &["CLONE_"]),
    ("unshare", 0, &["CLONE_"]),
    ("setns", 1, &["CLONE_"]),
    ("prctl", 0, &["PR_"]),
    ("open", 1, &["O_", "__O_"]),
    ("openat", 2, &["O_", "__O_"]),
    ("open", 2, &["S_IS"]),
    ("openat", 3, &["S_IS"]),
    ("creat", 1, &["S_IS"]),
    ("chmod", 1, &["S_IS"]),
    ("fchmod", 1, &["S_IS"]),
    ("fchmodat", 2, &["S_IS"]),
    ("fchmodat2", 2, &["S_IS"]),
    ("mknod", 1, &["S_IS"]),
    ("mknodat", 2, &["S_IS"]),
    ("mmap", 2, &["PROT_"]),
    ("mprotect", 2, &["PROT_"]),
    ("mmap", 3, &["MAP_"]),
    ("fcntl", 1, &["F_"]),
    ("kill", 1, &["SIG"]),
];

/// `k` as the named constants of its family for argument `arg` of
/// `syscall` (`O_CREAT`, `CLONE_NEWUSER|CLONE_NEWNS`), when they account
/// for it exactly.
fn constant_name(syscall: &str, arg: u32, k: u32) -> Option<String> {
    let prefixes = ARG_NAMES
        .iter()
        .find(|(s, a, _)| *s == syscall && *a == arg)?
        .2;
    let family = || {
        super::consts::CONSTANTS
            .iter()
            .filter(|(n, v)| prefixes.iter().any(|p| n.starts_with(p)) && *v <= u64::from(u32::MAX))
    };
    if let Some((n, _)) = family().find(|(_, v)| *v == u64::from(k)) {
        return Some((*n).to_string());
    }
    // A set of single-bit flags.
    let mut left = u64::from(k);
    let mut names = Vec::new();
    for (n, v) in family().filter(|(_, v)| v.is_power_of_two()) {
        if left & v != 0 {
            left &= !v;
            names.push(*n);
        }
    }
    (left == 0 && k != 0).then(|| names.join("|"))
}

/// The whole program, with each comparison of the syscall number named
/// (`jeq #0x0, 23, 24  ; read`): in stockade's programs everything between
/// `ld nr` and the next load compares the number.
pub fn disassemble_named(prog: &[sock_filter], arch: super::Arch) -> String {
    let blocks = rule_blocks(prog);
    // What the accumulator holds: the syscall number, or the low half of
    // an argument (its index).
    let mut on_nr = false;
    let mut on_arg: Option<u32> = None;
    let mut out = String::new();
    for (n, i) in prog.iter().enumerate() {
        let text = disassemble_one(n, i);
        if i.code == LD_W_ABS {
            on_nr = i.k == 0;
            on_arg = arg_at(i.k).filter(|(_, hi)| !hi).map(|(arg, _)| arg);
        }
        let syscall = blocks[n].and_then(|nr| arch.syscall_name(i64::from(nr)));
        let name = match i.code {
            JEQ_K | JGE_K | JGT_K if on_nr => arch.syscall_name(i64::from(i.k)).map(str::to_string),
            JEQ_K | JSET_K | AND_K => match (syscall, on_arg) {
                (Some(s), Some(a)) => constant_name(s, a, i.k),
                _ => None,
            },
            _ => None,
        };
        match name {
            Some(name) => out.push_str(&format!("{n:04}: {text:<28}; {name}\n")),
            None => out.push_str(&format!("{n:04}: {text}\n")),
        }
    }
    out
}
