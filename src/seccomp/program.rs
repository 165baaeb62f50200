//! One classic-BPF program for a whole sandbox: the architecture check,
//! then a binary search on the syscall number (each subtree within a
//! jump's reach ends in one pool of its distinct answers), then per
//! syscall its rules in order (the first whose conditions all hold
//! answers, through one pool after every block; a rule does not load
//! again the argument the rule before left loaded), then the default.
//! A syscall whose answer does not depend on its arguments is answered
//! without loading one, so the kernel's per-syscall action cache (Linux
//! 5.11) lets allowed ones skip the program entirely.

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
    /// The argument word the accumulator holds when the current rule
    /// starts, when known (a rule's failures all leave the same one).
    entry: Option<u32>,
    /// Argument loads of the current rule so far, and the last one's word.
    loads: usize,
    word: u32,
    /// Whether the current rule masked the accumulator.
    masked_acc: bool,
}

impl Emitter {
    fn push(&mut self, i: sock_filter) {
        self.prog.push(i);
    }

    /// Loads argument word `w` into the accumulator, unless the rule
    /// starts with it there already.
    fn load(&mut self, w: u32) {
        if self.loads > 0 || self.entry != Some(w) {
            self.push(insn(LD_W_ABS, 0, 0, w));
        }
        self.loads += 1;
        self.word = w;
    }

    /// Starts a rule: what the accumulator holds on entry is what the
    /// rule before left in it on every path that fails into this one,
    /// known when that rule loaded one word and did not mask it.
    fn next_rule(&mut self) {
        self.entry = (self.loads == 1 && !self.masked_acc).then_some(self.word);
        self.loads = 0;
        self.masked_acc = false;
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

    /// Emits one check of a rule: a condition, or a `jset` on an
    /// argument's low word.
    fn check_of(&mut self, c: &Check<'_>) {
        match c {
            Check::Cond(c) => self.cond(c),
            Check::AnyBit { arg, mask } => {
                self.load(arg_word(*arg, false));
                self.check(JSET_K, *mask, false);
            }
        }
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
                self.load(lo);
                self.compare_word(op, vl);
            }
            (Op::Eq, true) => {
                self.load(hi);
                self.check(JEQ_K, vh, false);
                self.load(lo);
                self.check(JEQ_K, vl, false);
            }
            (Op::Ne, true) => {
                // Different high words pass at once (skip the low check).
                self.load(hi);
                self.push(insn(JEQ_K, 0, 2, vh));
                self.load(lo);
                self.check(JEQ_K, vl, true);
            }
            (op, true) => {
                // Ordered: the high words decide unless equal; then the low.
                let (pass_hi, fail_hi) = match op {
                    Op::Gt | Op::Ge => (true, false),
                    _ => (false, true),
                };
                self.load(hi);
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
                self.load(lo);
                self.compare_word(op, vl);
            }
        }
    }

    /// Checks that the word at `at` masked with `m` equals `v`, failing to
    /// the next rule. One bit that must be set is a `jset`, without the
    /// `and`.
    fn masked(&mut self, at: u32, m: u32, v: u32) {
        self.load(at);
        if m == v && m.is_power_of_two() {
            self.check(JSET_K, m, false);
        } else {
            self.push(insn(AND_K, 0, 0, m));
            self.masked_acc = true;
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

/// A check of a rule as the program makes it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check<'a> {
    /// A condition of the policy.
    Cond(&'a Cond),
    /// At least one of these bits of argument `arg`'s low word is set: a
    /// condition that one bit be set, or several such merged (see
    /// [`merged`]).
    AnyBit { arg: u8, mask: u32 },
}

impl<'a> Check<'a> {
    fn of(c: &'a Cond) -> Check<'a> {
        match c.op {
            // Any width: the bit is in the low word (the emitted code is
            // `masked`'s for one bit).
            Op::MaskedEq(m) if m == c.value && m.is_power_of_two() => match u32::try_from(m) {
                Ok(mask) => Check::AnyBit { arg: c.arg, mask },
                Err(_) => Check::Cond(c),
            },
            _ => Check::Cond(c),
        }
    }
}

/// A syscall's rules as checks and answers, with adjacent rules merged
/// where they answer alike and differ in one check only, which in both
/// asks for some bit of the same argument: `(C and bit a) or (C and bit
/// b)` is `C and (bit a or bit b)`, one `jset`. Adjacent, so that no rule
/// between them could answer first. `strict`'s rules against set-id
/// files, one per pair of open flag and mode bit, and the side doors'
/// one rule per namespace flag come to one rule each: `open` 17
/// instructions → 5, `clone` 10 → 3.
fn merged(rules: &[(i64, Rule)]) -> Vec<(Vec<Check<'_>>, u32)> {
    let mut out: Vec<(Vec<Check<'_>>, u32)> = Vec::new();
    for (_, r) in rules {
        let mut cur = (r.conds.iter().map(Check::of).collect::<Vec<_>>(), r.ret);
        // A merge can make the rule before mergeable in turn.
        while let Some(m) = out.last().and_then(|prev| merge(prev, &cur)) {
            out.pop();
            cur = m;
        }
        out.push(cur);
    }
    out
}

/// `a` or `b` as one rule, when they answer alike and differ in at most
/// one check, a bit test on the same argument in both.
fn merge<'a>(
    a: &(Vec<Check<'a>>, u32),
    b: &(Vec<Check<'a>>, u32),
) -> Option<(Vec<Check<'a>>, u32)> {
    if a.1 != b.1 || a.0.len() != b.0.len() {
        return None;
    }
    let mut differ =
        a.0.iter()
            .zip(&b.0)
            .enumerate()
            .filter(|(_, (x, y))| x != y);
    let Some((i, pair)) = differ.next() else {
        // The same rule twice: the second never answers.
        return Some(a.clone());
    };
    if differ.next().is_some() {
        return None;
    }
    match pair {
        (
            Check::AnyBit { arg, mask },
            Check::AnyBit {
                arg: other,
                mask: more,
            },
        ) if arg == other => {
            let mut checks = a.0.clone();
            checks[i] = Check::AnyBit {
                arg: *arg,
                mask: mask | more,
            };
            Some((checks, a.1))
        }
        _ => None,
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
/// unconditional one are never reached and are left out. With `pool`, a
/// rule whose last check passes only by falling through answers by that
/// check's jump into the pool of answers after every block (`to_pool`:
/// the check, whether its jt, the answer) instead of a `ret` of its own:
/// the failure then falls through to the next rule.
fn block(
    rules: &[(i64, Rule)],
    default: u32,
    e: &mut Emitter,
    pool: bool,
    to_pool: &mut Vec<(usize, bool, u32)>,
) -> Result<(), String> {
    // Entered from the search, with the syscall number loaded.
    e.entry = None;
    e.loads = 0;
    e.masked_acc = false;
    for (checks, ret) in merged(rules) {
        if checks.is_empty() {
            e.push(insn(RET_K, 0, 0, ret));
            return Ok(());
        }
        for c in &checks {
            e.check_of(c);
        }
        let last = checks.last().is_some_and(passes_by_falling_through);
        match e.pending.last() {
            // Every condition ends with a check; the last one's failure
            // is the rule's last pending jump.
            Some(&(at, fail_on_true, Target::NextRule)) if pool && last => {
                debug_assert_eq!(at + 1, e.prog.len());
                e.pending.pop();
                to_pool.push((at, !fail_on_true, ret));
            }
            _ => e.push(insn(RET_K, 0, 0, ret)),
        }
        e.end_rule()?;
        e.next_rule();
    }
    e.push(insn(RET_K, 0, 0, default));
    Ok(())
}

/// Whether a condition passes only by falling through its last check:
/// a 64-bit inequality or order also passes by jumping over the low word.
fn passes_by_falling_through(c: &Check<'_>) -> bool {
    match c {
        Check::Cond(c) => c.width != Width::Bits64 || matches!(c.op, Op::Eq | Op::MaskedEq(_)),
        Check::AnyBit { .. } => true,
    }
}

/// Emits every block after the tree, their shared answers pooled after
/// them when each jump reaches its answer; `false` when one would not
/// (the caller emits them again, unpooled).
fn blocks(
    syscalls: &[&[(i64, Rule)]],
    default: u32,
    e: &mut Emitter,
    at: &mut [usize],
    pool: bool,
) -> Result<bool, String> {
    let mut to_pool = Vec::new();
    for (i, r) in syscalls.iter().enumerate() {
        if constant(r).is_none() && same_block(syscalls, i) == i {
            at[i] = e.prog.len();
            e.pending.clear();
            block(r, default, e, pool, &mut to_pool)?;
        }
    }
    let mut answers: Vec<(u32, usize)> = Vec::new();
    for (from, jt, k) in to_pool {
        let to = match answers.iter().find(|a| a.0 == k) {
            Some(a) => a.1,
            None => {
                e.push(insn(RET_K, 0, 0, k));
                answers.push((k, e.prog.len() - 1));
                e.prog.len() - 1
            }
        };
        let Ok(off) = u8::try_from(to - from - 1) else {
            return Ok(false);
        };
        if jt {
            e.prog[from].jt = off;
        } else {
            e.prog[from].jf = off;
        }
    }
    Ok(true)
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
            // Syscalls whose rules are alike (chmod, fchmod and mknod
            // check the same mode bits of the same argument) share a block.
            None => push(nr, Answer::Block(same_block(&syscalls, i))),
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
    let blocks_start = prog.len();
    let mut e = Emitter {
        prog,
        pending: Vec::new(),
        entry: None,
        loads: 0,
        word: 0,
        masked_acc: false,
    };
    if !blocks(&syscalls, default, &mut e, &mut at, true)? {
        e.prog.truncate(blocks_start);
        blocks(&syscalls, default, &mut e, &mut at, false)?;
    }
    let mut prog = e.prog;
    for (j, i) in fixups {
        let from = start + j;
        prog[from].k = (at[i] - from - 1) as u32;
    }
    Ok(thread_jumps(&prog))
}

/// The first syscall (by index) whose rules are those of syscall `i`.
fn same_block(syscalls: &[&[(i64, Rule)]], i: usize) -> usize {
    let alike = |a: &[(i64, Rule)], b: &[(i64, Rule)]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.1 == y.1)
    };
    (0..i)
        .find(|&j| constant(syscalls[j]).is_none() && alike(syscalls[j], syscalls[i]))
        .unwrap_or(i)
}

/// The instruction class of jumps (`BPF_JMP`), `ja` and the conditional ones.
const JMP_CLASS: u16 = 0x05;

/// Whether `i` is a conditional jump (it has a `jt` and a `jf`).
fn conditional(i: &sock_filter) -> bool {
    i.code & 0x07 == JMP_CLASS && i.code != JA
}

/// Where the instruction at `at` may go next: its jump targets, or the
/// next instruction (none after a `ret`).
fn successors(prog: &[sock_filter], at: usize) -> Vec<usize> {
    let i = &prog[at];
    match i.code {
        RET_K => Vec::new(),
        JA => vec![at + 1 + i.k as usize],
        _ if conditional(i) => vec![at + 1 + i.jt as usize, at + 1 + i.jf as usize],
        _ => vec![at + 1],
    }
}

/// A conditional jump that lands on a `ja` goes straight where the `ja`
/// goes when that is within its 8-bit reach, and instructions nothing
/// reaches any more (the pools' `ja`s to the blocks) are left out. Every
/// path takes the same comparisons to the same answer; the kernel has
/// fewer instructions to translate and compile at every start.
fn thread_jumps(prog: &[sock_filter]) -> Vec<sock_filter> {
    let mut prog = prog.to_vec();
    let through = |prog: &[sock_filter], mut t: usize| {
        while prog.get(t).is_some_and(|i| i.code == JA) {
            t += 1 + prog[t].k as usize;
        }
        t
    };
    for at in 0..prog.len() {
        if !conditional(&prog[at]) {
            continue;
        }
        for jt in [true, false] {
            let off = if jt { prog[at].jt } else { prog[at].jf };
            let to = through(&prog, at + 1 + off as usize);
            if let Ok(off) = u8::try_from(to - at - 1) {
                if jt {
                    prog[at].jt = off;
                } else {
                    prog[at].jf = off;
                }
            }
        }
    }
    let mut reached = vec![false; prog.len()];
    let mut todo = vec![0];
    while let Some(at) = todo.pop() {
        if at < prog.len() && !std::mem::replace(&mut reached[at], true) {
            todo.extend(successors(&prog, at));
        }
    }
    // New index of each kept instruction; removing instructions only
    // shortens the distances, so every offset still fits.
    let mut new_at = vec![0; prog.len() + 1];
    let mut n = 0;
    for (at, r) in reached.iter().enumerate() {
        new_at[at] = n;
        n += usize::from(*r);
    }
    new_at[prog.len()] = n;
    let mut out = Vec::with_capacity(n);
    for (at, i) in prog.iter().enumerate().filter(|(at, _)| reached[*at]) {
        let mut i = i.clone();
        let off = |to: usize| new_at[to] - new_at[at] - 1;
        match i.code {
            JA => i.k = off(at + 1 + i.k as usize) as u32,
            _ if conditional(&i) => {
                i.jt = off(at + 1 + i.jt as usize) as u8;
                i.jf = off(at + 1 + i.jf as usize) as u8;
            }
            _ => {}
        }
        out.push(i);
    }
    out
}

/// How a segment of syscall numbers is answered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// This `SECCOMP_RET_*`, whatever the arguments.
    Ret(u32),
    /// The block of this syscall (by index).
    Block(usize),
}

/// Farthest a conditional jump reaches: its offsets are 8 bits.
const REACH: usize = u8::MAX as usize;

/// The length of [`search`]'s code for `segments`.
fn tree_len(segments: &[(u32, Answer)]) -> usize {
    let pooled = pooled_len(segments);
    if pooled <= REACH + 1 {
        return pooled;
    }
    let (lower, upper) = segments.split_at(segments.len() / 2);
    let lower = tree_len(lower);
    let node = if lower <= REACH { 1 } else { 2 };
    node + lower + tree_len(upper)
}

/// The length of [`pooled`]'s code for `segments`: a comparison per
/// boundary, then each distinct answer once.
fn pooled_len(segments: &[(u32, Answer)]) -> usize {
    let mut answers: Vec<Answer> = Vec::new();
    for s in segments {
        if !answers.contains(&s.1) {
            answers.push(s.1);
        }
    }
    (segments.len().saturating_sub(1) + answers.len()).max(1)
}

/// Emits a binary search over `segments` (sorted by first number). A
/// subtree whose code fits the reach of a jump is [`pooled`]; above that,
/// a node is a `jge` on the upper half's first number with the lower half
/// right after it, and the jump over the lower half is the `jge`'s own
/// when it fits its 8-bit offset, else a `ja` after it.
fn search(
    segments: &[(u32, Answer)],
    out: &mut Vec<sock_filter>,
    fixups: &mut Vec<(usize, usize)>,
) {
    if pooled_len(segments) <= REACH + 1 {
        pooled(segments, out, fixups);
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

/// A subtree within a jump's reach: its comparisons, then a pool with
/// each distinct answer once (a `ret`, or a `ja` to a syscall's block,
/// `fixups`), which the comparisons jump to. A comparison falls through
/// to a child that is itself a comparison. Most leaves answer alike
/// (allow, the default, a notification), so every path keeps its
/// comparisons while the program, and the kernel's translation and JIT
/// of it at every start, shrink (with the blocks' own pool, `strict`
/// 427 -> 255 instructions).
fn pooled(
    segments: &[(u32, Answer)],
    out: &mut Vec<sock_filter>,
    fixups: &mut Vec<(usize, usize)>,
) {
    let Some(first) = segments.first() else {
        // Never empty: the segments start with one at 0.
        out.push(insn(RET_K, 0, 0, RET_KILL_PROCESS));
        return;
    };
    // (instruction, whether its jt (else jf), the answer it jumps to)
    let mut to_pool: Vec<(usize, bool, Answer)> = Vec::new();
    if segments.len() > 1 {
        comparisons(segments, out, &mut to_pool);
    }
    let mut pool: Vec<(Answer, usize)> = Vec::new();
    let mut place = |a: Answer, out: &mut Vec<sock_filter>| {
        if let Some(&(_, at)) = pool.iter().find(|p| p.0 == a) {
            return at;
        }
        let at = out.len();
        match a {
            Answer::Ret(k) => out.push(insn(RET_K, 0, 0, k)),
            Answer::Block(i) => {
                fixups.push((at, i));
                out.push(insn(JA, 0, 0, 0));
            }
        }
        pool.push((a, at));
        at
    };
    if to_pool.is_empty() {
        place(first.1, out);
    }
    for (from, jt, a) in to_pool {
        let at = place(a, out);
        // Within reach: the subtree's whole code is.
        debug_assert!(at - from - 1 <= REACH);
        let off = (at - from - 1) as u8;
        if jt {
            out[from].jt = off;
        } else {
            out[from].jf = off;
        }
    }
}

/// The comparisons of a pooled subtree of two segments or more: a `jge`
/// on the upper half's first number; a half of one segment is an answer
/// in the pool, a longer half a comparison, the lower one right after.
fn comparisons(
    segments: &[(u32, Answer)],
    out: &mut Vec<sock_filter>,
    to_pool: &mut Vec<(usize, bool, Answer)>,
) {
    let (lower, upper) = segments.split_at(segments.len() / 2);
    let at = out.len();
    out.push(insn(JGE_K, 0, 0, upper[0].0));
    match (lower, upper) {
        ([l], [u]) => {
            to_pool.push((at, true, u.1));
            to_pool.push((at, false, l.1));
        }
        // The lower half is never the longer one.
        ([l], _) => {
            to_pool.push((at, false, l.1));
            comparisons(upper, out, to_pool);
        }
        _ => {
            comparisons(lower, out, to_pool);
            debug_assert!(out.len() - at - 1 <= REACH);
            out[at].jt = (out.len() - at - 1) as u8;
            comparisons(upper, out, to_pool);
        }
    }
}
