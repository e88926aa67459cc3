//! Issue 15, item 3: a cap on the connections one client holds open (MAX_CONNECTIONS_PER_CLIENT).
//! Asserts status codes only, never times.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;
use crate::on_both_databases;

/// Sends one request on `stream` and returns the status code of the answer.
async fn status_on(stream: &mut TcpStream, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Language: en\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.expect("read") == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"))
}

async fn connections_beyond_the_per_client_cap_get_429(app: TestApp) {
    let app = app.sibling(&[("MAX_CONNECTIONS_PER_CLIENT", "2")]).await;
    let address = app.url("").trim_start_matches("http://").to_owned();
    let mut first = TcpStream::connect(&address).await.expect("connect");
    let mut second = TcpStream::connect(&address).await.expect("connect");
    assert_eq!(status_on(&mut first, "/health").await, 200);
    assert_eq!(status_on(&mut second, "/health").await, 200);
    // Both stay open (keep-alive); a third connection from the same address is refused.
    let mut third = TcpStream::connect(&address).await.expect("connect");
    assert_eq!(status_on(&mut third, "/health").await, 429);
    let mut rest = String::new();
    let _ = third.read_to_string(&mut rest).await;
    assert!(
        rest.contains("Too many"),
        "the service's own message: {rest}"
    );
    // The refused connection is closed by the service; the first two still work.
    assert_eq!(status_on(&mut first, "/health").await, 200);
    // Once a connection closes, its slot is free again (the service notices the close a moment
    // later, so a few attempts are allowed; the assertion is on the status, not on the time).
    drop(first);
    let mut answered = Vec::new();
    for _ in 0..50 {
        let mut again = TcpStream::connect(&address).await.expect("connect");
        let status = status_on(&mut again, "/health").await;
        answered.push(status);
        if status == 200 {
            break;
        }
        drop(again);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(answered.last(), Some(&200), "{answered:?}");
    assert_eq!(status_on(&mut second, "/health").await, 200);
}

async fn the_cap_can_be_turned_off(app: TestApp) {
    let app = app.sibling(&[("MAX_CONNECTIONS_PER_CLIENT", "0")]).await;
    let address = app.url("").trim_start_matches("http://").to_owned();
    let mut open = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(&address).await.expect("connect");
        assert_eq!(status_on(&mut stream, "/health").await, 200);
        open.push(stream);
    }
}

on_both_databases!(
    connections_beyond_the_per_client_cap_get_429,
    the_cap_can_be_turned_off,
);
