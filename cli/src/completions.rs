//! `wapipe completions <shell>`: a completion script for bash, zsh, fish, elvish or PowerShell.

use std::io::Write;

use clap_complete::Shell;

/// Write the completion script of `command` for `shell` to stdout. Generated into memory
/// first (clap_complete panics on a failed write); a closed pipe (`| head`) is not an error.
pub fn print(shell: Shell, command: &mut clap::Command) -> Result<u8, String> {
    let mut script = Vec::new();
    clap_complete::generate(shell, command, "wapipe", &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
        _ => Ok(0),
    }
}
