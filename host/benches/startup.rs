//! Start-up: from exec of `krest serve` to its first answered request (`GET /`), with the
//! built-in plugins compiled ahead of time (`krest plugin compile`, or a previous run's
//! `plugins.cache.dir`: a rolling restart) and with no compile cache (every plugin compiled).
//!
//! Run: `scripts/kafka.sh start && KREST_TEST_BOOTSTRAP=127.0.0.1:19092 cargo bench -p krest --bench startup`

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::bootstrap;

mod support;

const WARM_RUNS: usize = 20;
const COLD_RUNS: usize = 2;

/// Milliseconds from exec to the first `GET /` answered 200.
fn start_once(cache: &str) -> f64 {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_krest"))
        .args(["serve", "--bootstrap-servers", &bootstrap()])
        .args(["--listeners", &format!("http://127.0.0.1:{port}")])
        .args(["--set", &format!("plugins.cache.dir={cache}")])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    loop {
        if let Some(status_line) = get_root(port) {
            assert!(status_line.starts_with("HTTP/1.1 200"), "{status_line}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "krest did not start"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    child.kill().unwrap();
    child.wait().unwrap();
    elapsed
}

/// The status line of `GET /`, once krest accepts connections.
fn get_root(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.lines().next().map(str::to_string)
}

fn row(what: &str, mut runs: Vec<f64>) {
    runs.sort_by(f64::total_cmp);
    let median = runs[runs.len() / 2];
    let max = runs[runs.len() - 1];
    println!("| {what} | {} | {median:.0} | {max:.0} |", runs.len());
}

fn main() {
    let cache = std::env::temp_dir().join(format!("krest-bench-startup-{}", std::process::id()));
    let cache = cache.to_str().unwrap().to_string();
    let compiled = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_krest"))
        .args([
            "plugin",
            "compile",
            "--set",
            &format!("plugins.cache.dir={cache}"),
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let compile_ms = compiled.elapsed().as_secs_f64() * 1000.0;

    println!("## Start-up: exec to the first answered request\n");
    println!("| plugins | runs | median ms | max ms |");
    println!("|---|---|---|---|");
    row(
        "compiled ahead (`krest plugin compile`, or a restart)",
        (0..WARM_RUNS).map(|_| start_once(&cache)).collect(),
    );
    row(
        "no compile cache (`plugins.cache.dir=none`)",
        (0..COLD_RUNS).map(|_| start_once("none")).collect(),
    );
    println!("\n`krest plugin compile` itself: {compile_ms:.0} ms\n");
    std::fs::remove_dir_all(&cache).ok();
}
