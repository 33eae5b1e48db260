//! SIGTERM stops accepting connections, lets in-flight requests finish and exits 0.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use support::Proxy;

#[test]
fn sigterm_lets_a_slow_request_finish_then_exits_zero() {
    let mut proxy = Proxy::spawn(&["--dev"], &[]);
    let address = proxy.base.trim_start_matches("http://").to_string();

    // A slow client: headers and half of the body now, the rest after SIGTERM.
    let mut stream = TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let body = br#"{"slow":"request"}"#;
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/vnd.kafka.v2+json\r\n\
         Accept: application/vnd.kafka.v2+json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..5]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    kill(Pid::from_raw(proxy.pid()), Signal::SIGTERM).unwrap();
    proxy.wait_for_output("received SIGTERM");
    assert!(
        TcpStream::connect(&address).is_err(),
        "new connections are refused while draining"
    );

    stream.write_all(&body[5..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert!(response.ends_with("{}"), "{response}");

    let status = proxy.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "stderr:\n{}", proxy.stderr());
}
