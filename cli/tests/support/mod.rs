//! What the local-state CLI tests share: running `wapipe --state FILE …` with the environment
//! that would change its answers removed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The repository's root (for `events/` and `examples/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `wapipe --state STATE ARGS…`: (exit code, stdout, stderr).
pub fn wapipe(state: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wapipe"))
        .arg("--state")
        .arg(state)
        .args(args)
        .env_remove("WAPIPE_RAZORPAY_KEY")
        .env_remove("WAPIPE_CONVERSIONS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON a command printed, which must succeed.
pub fn json_of(state: &Path, args: &[&str]) -> Value {
    let (code, out, err) = wapipe(state, args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    serde_json::from_str(&out).unwrap()
}
