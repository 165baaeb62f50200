//! Messages to stderr.

use nix::errno::Errno;

/// Writes `stockade: LINE` to stderr and never panics. The payload shares
/// the launcher's stderr file description: it may have made it
/// non-blocking and filled it. Then the launcher waits for room (2 s at
/// most in all) instead of aborting or dropping the message at once.
pub(super) fn say(line: &str) {
    use nix::poll::{poll, PollFd, PollFlags};
    use std::os::fd::AsFd;
    let msg = format!("stockade: {line}\n");
    let mut rest = msg.as_bytes();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let stderr = std::io::stderr();
    while !rest.is_empty() {
        match nix::unistd::write(stderr.as_fd(), rest) {
            Ok(n) => rest = &rest[n..],
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return;
                }
                let mut fds = [PollFd::new(stderr.as_fd(), PollFlags::POLLOUT)];
                let _ = poll(&mut fds, crate::sys::poll_timeout(left));
            }
            Err(_) => return,
        }
    }
}
