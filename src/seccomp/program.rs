//! One classic-BPF program for a whole sandbox: the architecture check,
//! then a binary search on the syscall number, then per syscall its rules
//! in order (the first whose conditions all hold answers), then the
//! default. A syscall whose answer does not depend on its arguments is
//! answered without loading one, so the kernel's per-syscall action cache
//! (Linux 5.11) lets allowed ones skip the program entirely.

use super::arch::Arch;
use super::args::{Cond, Op, Width};
use super::bpf::{AND_K, JA, JEQ_K, JGE_K, JGT_K, JSET_K, LD_W_ABS, RET_K, X32_SYSCALL_BIT};
use seccompiler::sock_filter;

/// `SECCOMP_RET_KILL_PROCESS`.
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
/// `SECCOMP_RET_ALLOW`.
pub const RET_ALLOW: u32 = 0x7fff_0000;
/// `SECCOMP_RET_ERRNO | errno`.
pub const fn ret_errno(errno: u32) -> u32 {
    0x0005_0000 | (errno & 0xffff)
}

const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;

/// Offset of the low (`hi`: high) 32-bit word of argument `arg` in
/// `struct seccomp_data`; both supported architectures are little-endian.
fn arg_word(arg: u8, hi: bool) -> u32 {
    16 + 8 * u32::from(arg) + if hi { 4 } else { 0 }
}

/// One rule: when every condition holds, the program returns `ret`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Conditions on the arguments (empty: always).
    pub conds: Vec<Cond>,
    /// `SECCOMP_RET_*` value.
    pub ret: u32,
}

fn insn(code: u16, jt: u8, jf: u8, k: u32) -> sock_filter {
    sock_filter { code, jt, jf, k }
}

/// A jump to a label, resolved once every label's position is known.
#[derive(Clone, Copy)]
enum Target {
    /// The instruction after the current rule (its conditions failed).
    NextRule,
}

/// Instructions being emitted, with forward jumps to patch.
struct Emitter {
    prog: Vec<sock_filter>,
    /// (instruction, whether jt (else jf), target) for the current rule.
    pending: Vec<(usize, bool, Target)>,
}

impl Emitter {
    fn push(&mut self, i: sock_filter) {
        self.prog.push(i);
    }

    /// A conditional jump: `pass` falls through, the other side goes to
    /// the next rule. `fail_on_true`: the jump's true branch is the failure.
    fn check(&mut self, code: u16, k: u32, fail_on_true: bool) {
        let at = self.prog.len();
        self.prog.push(insn(code, 0, 0, k));
        self.pending.push((at, fail_on_true, Target::NextRule));
    }

    /// Resolves the current rule's failure jumps to the next instruction.
    fn end_rule(&mut self) -> Result<(), String> {
        let next = self.prog.len();
        for (at, jt, Target::NextRule) in self.pending.drain(..) {
            let off = u8::try_from(next - at - 1)
                .map_err(|_| "an argument rule is too long for one program".to_string())?;
            if jt {
                self.prog[at].jt = off;
            } else {
                self.prog[at].jf = off;
            }
        }
        Ok(())
    }

    /// Emits the checks of one condition; on failure they jump to the next
    /// rule, on success they fall through.
    fn cond(&mut self, c: &Cond) {
        // 16- and 32-bit arguments: the low word only (the kernel ignores
        // the rest of the register, whatever the caller left there).
        let wide = c.width == Width::Bits64;
        let (vh, vl) = ((c.value >> 32) as u32, c.value as u32);
        let lo = arg_word(c.arg, false);
        let hi = arg_word(c.arg, true);
        match (c.op, wide) {
            (Op::MaskedEq(m), false) => self.masked(lo, m as u32, vl),
            (Op::MaskedEq(m), true) => {
                // A high word masked with 0 always matches a 0 (flags
                // such as clone's all sit in the low word).
                if (m >> 32) != 0 || vh != 0 {
                    self.masked(hi, (m >> 32) as u32, vh);
                }
                self.masked(lo, m as u32, vl);
            }
            (op, false) => {
                self.push(insn(LD_W_ABS, 0, 0, lo));
                self.compare_word(op, vl);
            }
            (Op::Eq, true) => {
                self.push(insn(LD_W_ABS, 0, 0, hi));
                self.check(JEQ_K, vh, false);
                self.push(insn(LD_W_ABS, 0, 0, lo));
                self.check(JEQ_K, vl, false);
            }
            (Op::Ne, true) => {
                // Different high words pass at once (skip the low check).
                self.push(insn(LD_W_ABS, 0, 0, hi));
                self.push(insn(JEQ_K, 0, 2, vh));
                self.push(insn(LD_W_ABS, 0, 0, lo));
                self.check(JEQ_K, vl, true);
            }
            (op, true) => {
                // Ordered: the high words decide unless equal; then the low.
                let (pass_hi, fail_hi) = match op {
                    Op::Gt | Op::Ge => (true, false),
                    _ => (false, true),
                };
                self.push(insn(LD_W_ABS, 0, 0, hi));
                if pass_hi {
                    // hi > vh: pass (skip jeq, ld, compare).
                    self.push(insn(JGT_K, 3, 0, vh));
                    self.check(JEQ_K, vh, false);
                } else {
                    // hi > vh: fail; hi < vh: pass (skip ld, compare).
                    debug_assert!(fail_hi);
                    self.check(JGT_K, vh, true);
                    self.push(insn(JEQ_K, 0, 2, vh));
                }
                self.push(insn(LD_W_ABS, 0, 0, lo));
                self.compare_word(op, vl);
            }
        }
    }

    /// Checks that the word at `at` masked with `m` equals `v`, failing to
    /// the next rule. One bit that must be set is a `jset`, without the
    /// `and`.
    fn masked(&mut self, at: u32, m: u32, v: u32) {
        self.push(insn(LD_W_ABS, 0, 0, at));
        if m == v && m.is_power_of_two() {
            self.check(JSET_K, m, false);
        } else {
            self.push(insn(AND_K, 0, 0, m));
            self.check(JEQ_K, v, false);
        }
    }

    /// Compares the accumulator with `v` (unsigned), failing to the next rule.
    fn compare_word(&mut self, op: Op, v: u32) {
        match op {
            Op::Eq => self.check(JEQ_K, v, false),
            Op::Ne => self.check(JEQ_K, v, true),
            Op::Gt => self.check(JGT_K, v, false),
            Op::Ge => self.check(JGE_K, v, false),
            Op::Lt => self.check(JGE_K, v, true),
            Op::Le => self.check(JGT_K, v, true),
            Op::MaskedEq(_) => unreachable!("masked_eq is handled by the caller"),
        }
    }
}

/// What a syscall's rules come to when the first of them has no
/// condition: that rule's return value, whatever the arguments.
fn constant(rules: &[(i64, Rule)]) -> Option<u32> {
    rules
        .first()
        .filter(|(_, r)| r.conds.is_empty())
        .map(|(_, r)| r.ret)
}

/// A syscall's code: its rules in order, then `default`. Rules after an
/// unconditional one are never reached and are left out.
fn block(rules: &[(i64, Rule)], default: u32, e: &mut Emitter) -> Result<(), String> {
    for (_, r) in rules {
        if r.conds.is_empty() {
            e.push(insn(RET_K, 0, 0, r.ret));
            return Ok(());
        }
        for c in &r.conds {
            e.cond(c);
        }
        e.push(insn(RET_K, 0, 0, r.ret));
        e.end_rule()?;
    }
    e.push(insn(RET_K, 0, 0, default));
    Ok(())
}

/// The program: kill for another ABI, then dispatch on the number.
/// `rules` holds `(syscall number, rule)` sorted by number, each
/// syscall's rules in the order they answer; every other number gets
/// `default`.
pub fn build(arch: Arch, rules: &[(i64, Rule)], default: u32) -> Result<Vec<sock_filter>, String> {
    debug_assert!(rules.is_sorted_by_key(|r| r.0));
    let mut prog = vec![
        insn(LD_W_ABS, 0, 0, OFF_ARCH),
        insn(JEQ_K, 1, 0, arch.audit()),
        insn(RET_K, 0, 0, RET_KILL_PROCESS),
        insn(LD_W_ABS, 0, 0, OFF_NR),
    ];
    if arch == Arch::X86_64 {
        prog.push(insn(JGE_K, 0, 1, X32_SYSCALL_BIT));
        prog.push(insn(RET_K, 0, 0, RET_KILL_PROCESS));
    }
    let syscalls: Vec<&[(i64, Rule)]> = rules.chunk_by(|a, b| a.0 == b.0).collect();
    // The number line as segments, each answered the same way: a constant
    // (neighbours with the same constant merge: most allowed syscalls sit
    // next to each other) or a syscall's block of argument checks.
    let mut segments: Vec<(u32, Answer)> = Vec::new();
    let mut push = |start: u32, a: Answer| {
        if segments.last().is_some_and(|l| l.0 == start) {
            segments.pop();
        }
        if segments.last().is_none_or(|l| l.1 != a) {
            segments.push((start, a));
        }
    };
    push(0, Answer::Ret(default));
    for (i, r) in syscalls.iter().enumerate() {
        let nr = r[0].0 as u32;
        match constant(r) {
            Some(k) => push(nr, Answer::Ret(k)),
            None => push(nr, Answer::Block(i)),
        }
        push(nr.saturating_add(1), Answer::Ret(default));
    }
    // The search tree, then the blocks it jumps to.
    let mut tree = Vec::new();
    let mut fixups = Vec::new(); // (tree index of a `ja`, block index)
    search(&segments, &mut tree, &mut fixups);
    debug_assert_eq!(tree.len(), tree_len(&segments));
    let start = prog.len();
    prog.extend(tree);
    let mut at = vec![0; syscalls.len()];
    let mut e = Emitter {
        prog,
        pending: Vec::new(),
    };
    for (i, r) in syscalls.iter().enumerate() {
        if constant(r).is_none() {
            at[i] = e.prog.len();
            e.pending.clear();
            block(r, default, &mut e)?;
        }
    }
    let mut prog = e.prog;
    for (j, i) in fixups {
        let from = start + j;
        prog[from].k = (at[i] - from - 1) as u32;
    }
    Ok(prog)
}

/// How a segment of syscall numbers is answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// This `SECCOMP_RET_*`, whatever the arguments.
    Ret(u32),
    /// The block of this syscall (by index).
    Block(usize),
}

/// The length of [`search`]'s code for `segments`.
fn tree_len(segments: &[(u32, Answer)]) -> usize {
    if segments.len() <= 1 {
        return 1;
    }
    let (lower, upper) = segments.split_at(segments.len() / 2);
    let lower = tree_len(lower);
    let node = if lower <= usize::from(u8::MAX) { 1 } else { 2 };
    node + lower + tree_len(upper)
}

/// Emits a binary search over `segments` (sorted by first number):
/// internal nodes are a `jge` on the upper half's first number, the lower
/// half right after it; the jump over the lower half is the `jge`'s own
/// when it fits its 8-bit offset, else a `ja` after it. A leaf returns its
/// constant or jumps to its block (`fixups`: its position and the block).
fn search(
    segments: &[(u32, Answer)],
    out: &mut Vec<sock_filter>,
    fixups: &mut Vec<(usize, usize)>,
) {
    if segments.len() <= 1 {
        match segments.first().map(|s| s.1) {
            Some(Answer::Block(i)) => {
                fixups.push((out.len(), i));
                out.push(insn(JA, 0, 0, 0));
            }
            Some(Answer::Ret(k)) => out.push(insn(RET_K, 0, 0, k)),
            // Never empty: the segments start with one at 0.
            None => out.push(insn(RET_K, 0, 0, RET_KILL_PROCESS)),
        }
        return;
    }
    let (lower, upper) = segments.split_at(segments.len() / 2);
    let first_upper = upper.first().map_or(0, |s| s.0);
    let skip = tree_len(lower);
    match u8::try_from(skip) {
        Ok(jt) => out.push(insn(JGE_K, jt, 0, first_upper)),
        Err(_) => {
            // jge: true → the `ja` over the lower half; false → skip it.
            out.push(insn(JGE_K, 0, 1, first_upper));
            out.push(insn(JA, 0, 0, skip as u32));
        }
    }
    search(lower, out, fixups);
    search(upper, out, fixups);
}
