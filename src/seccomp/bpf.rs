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

fn field(k: u32) -> String {
    match k {
        0 => "nr".into(),
        4 => "arch".into(),
        8 => "ip".into(),
        12 => "ip_hi".into(),
        16..=63 => {
            let arg = (k - 16) / 8;
            let hi = if (k - 16) % 8 == 4 { "_hi" } else { "" };
            format!("args[{arg}]{hi}")
        }
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

/// The whole program, one numbered instruction per line.
#[cfg(test)]
pub fn disassemble(prog: &[sock_filter]) -> String {
    prog.iter()
        .enumerate()
        .map(|(n, i)| format!("{n:04}: {}\n", disassemble_one(n, i)))
        .collect()
}

/// The whole program, with each comparison of the syscall number named
/// (`jeq #0x0, 23, 24  ; read`): in stockade's programs everything between
/// `ld nr` and the next load compares the number.
pub fn disassemble_named(prog: &[sock_filter], arch: super::Arch) -> String {
    let mut on_nr = false;
    let mut out = String::new();
    for (n, i) in prog.iter().enumerate() {
        let text = disassemble_one(n, i);
        if i.code == LD_W_ABS {
            on_nr = i.k == 0;
        }
        let name = match i.code {
            JEQ_K | JGE_K | JGT_K if on_nr => arch.syscall_name(i64::from(i.k)),
            _ => None,
        };
        match name {
            Some(name) => out.push_str(&format!("{n:04}: {text:<28}; {name}\n")),
            None => out.push_str(&format!("{n:04}: {text}\n")),
        }
    }
    out
}
