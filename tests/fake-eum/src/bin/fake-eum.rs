//! `fake-eum --listen 127.0.0.1:PORT [--record FILE] [--template-status STATUS]`
//!
//! Runs the fake EUM Social server in the foreground until SIGINT/SIGTERM. Prints
//! `fake-eum listening on http://127.0.0.1:PORT` on stdout once it accepts connections.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use wapipe_fake_eum::FakeEum;

const USAGE: &str = "usage: fake-eum [--listen 127.0.0.1:PORT] [--record FILE] [--template-status STATUS]";

struct Args {
    listen: SocketAddr,
    record: Option<String>,
    template_status: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = Args { listen: SocketAddr::from(([127, 0, 0, 1], 0)), record: None, template_status: None };
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                out.listen = v.parse().map_err(|e| format!("bad --listen address '{v}': {e}"))?;
            }
            "--record" => out.record = Some(value()?),
            "--template-status" => out.template_status = Some(value()?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    if !out.listen.ip().is_loopback() {
        return Err(format!("refusing to listen on non-loopback address {}", out.listen));
    }
    Ok(out)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = FakeEum::builder().listen(args.listen);
    if let Some(path) = &args.record {
        builder = builder.record_to(path);
    }
    if let Some(status) = &args.template_status {
        builder = builder.template_status(status);
    }
    let fake = match builder.try_start().await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fake-eum: cannot start on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    for w in fake.wabas() {
        eprintln!("fake-eum: waba {} (meta {})", w.id, w.meta_id);
    }
    for p in fake.phones() {
        eprintln!("fake-eum: phone {} (meta {}, {}, {})", p.id, p.meta_id, p.phone_number, p.quality_rating);
    }
    println!("fake-eum listening on {}", fake.endpoint());
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    fake.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Args, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn args() {
        let a = parse(&["--listen", "127.0.0.1:4566", "--record=/tmp/x.jsonl"]).unwrap();
        assert_eq!(a.listen.port(), 4566);
        assert_eq!(a.record.as_deref(), Some("/tmp/x.jsonl"));
        assert!(parse(&["--listen", "0.0.0.0:4566"]).is_err());
        assert!(parse(&["--listen", "10.0.0.1:1"]).is_err());
        assert!(parse(&["--listen"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--listen", "[::1]:0"]).is_ok());
    }
}
