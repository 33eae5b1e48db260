//! `examples/walkthrough.sh` (produce → consume → commit with curl) runs as written against
//! `krest serve --dev`.

mod support;

use std::process::Command;

use support::Proxy;

#[test]
fn the_curl_walkthrough_runs_against_dev_mode() {
    let proxy = Proxy::spawn(&["--dev"], &[]);
    let output = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/walkthrough.sh"))
        .arg(&proxy.base)
        .output()
        .expect("run the walkthrough");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(r#""key":"a2V5","value":"aGVsbG8=","partition":0,"offset":0"#),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"{"offsets":[{"topic":"demo","partition":0,"offset":3,"metadata":""}]}"#),
        "{stdout}"
    );
}
