//! `wapipe dev --flow-private-key`: the flow endpoint on 127.0.0.1 with real encrypted,
//! signed requests, against a key from `wapipe flows keygen` and a token from `flows token`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use rsa::rand_core::OsRng;
use serde_json::{json, Value};
use wapipe_core::domain::flows::crypto::{decrypt_response, encrypt_request_as_meta, parse_public_key};
use wapipe_core::domain::signature::sign;

const WAPIPE: &str = env!("CARGO_BIN_EXE_wapipe");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("wapipe dev already ended: {e}");
        }
        let _status = self.0.wait();
    }
}

fn wapipe(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(WAPIPE).current_dir(dir).args(args).output().expect("wapipe runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// POST `body` to `addr`/flow; (status, body).
fn post(addr: &str, body: &[u8], signature: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /flow HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).and_then(|()| s.write_all(body)).expect("send");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let status = raw.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status line");
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn dev_serves_the_flow_endpoint_with_real_encrypted_requests() {
    let dir = std::env::temp_dir().join(format!("wapipe-dev-flow-{}", std::process::id()));
    let _fresh = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    wapipe(&dir, &["flows", "keygen", "--out", "keys"]);
    let token = wapipe(
        &dir,
        &[
            "--state",
            "s.json",
            "flows",
            "token",
            "--flow",
            "appointment",
            "--phone-number-id",
            "1",
            "--to",
            "919876543210",
        ],
    );
    let token = token.trim().to_string();
    let mut child = Command::new(WAPIPE)
        .current_dir(&dir)
        .args([
            "--state",
            "s.json",
            "dev",
            "--listen",
            "127.0.0.1:0",
            "--flow-private-key",
            "keys/flow-private-key.pem",
        ])
        .env("WAPIPE_APP_SECRET", "dev_secret")
        .env_remove("WAPIPE_FLOW_PRIVATE_KEY_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("wapipe dev starts");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("the listening line");
    let addr = line.trim().rsplit("http://").next().expect("an address").to_string();

    let public = parse_public_key(&std::fs::read_to_string(dir.join("keys/flow-public-key.pem")).unwrap()).unwrap();
    let send = |plain: Value, signed: bool| {
        let (req, cipher) = encrypt_request_as_meta(&public, plain.to_string().as_bytes(), &mut OsRng).unwrap();
        let body = json!({"encrypted_flow_data": req.encrypted_flow_data, "encrypted_aes_key": req.encrypted_aes_key,
                          "initial_vector": req.initial_vector})
        .to_string();
        let sig = if signed { sign(b"dev_secret", body.as_bytes()) } else { "sha256=00".into() };
        let (status, text) = post(&addr, body.as_bytes(), &sig);
        let value = decrypt_response(&cipher, &text).ok().and_then(|p| serde_json::from_slice::<Value>(&p).ok());
        (status, value)
    };
    assert_eq!(
        send(json!({"version": "3.0", "action": "ping"}), true),
        (200, Some(json!({"data": {"status": "active"}})))
    );
    assert_eq!(send(json!({"version": "3.0", "action": "ping"}), false).0, 432);
    let (status, body) = send(json!({"version": "3.0", "action": "INIT", "flow_token": token}), true);
    assert_eq!(status, 200);
    assert_eq!(body.expect("decrypted")["screen"], "APPOINTMENT");
    assert_eq!(send(json!({"version": "3.0", "action": "INIT", "flow_token": "nope"}), true).0, 427);
    drop(server);
    std::fs::remove_dir_all(&dir).expect("cleaned");
}
