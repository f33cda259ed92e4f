//! `tpauth-loadgen`: N keep-alive connections over a Unix socket, each sending one GET after the
//! other as fast as the server answers (the wrk model, which cannot use a Unix socket). Prints
//! one JSON line: requests, seconds, requests per second, p50 and p99 latency in microseconds.
//!
//! usage: tpauth-loadgen --unix PATH --path /v1/token [--header 'Name: value']...
//!                       [--connections 32] [--requests 1000000]
//!
//! Answers are read by their Content-Length (both servers measured send one); any status other
//! than 200 is counted as an error and stops the run.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

struct Args {
    unix: String,
    path: String,
    headers: Vec<String>,
    connections: usize,
    requests: u64,
}

fn args() -> Args {
    let mut a = Args { unix: String::new(), path: "/".into(), headers: Vec::new(), connections: 32, requests: 1_000_000 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--unix" => a.unix = value(),
            "--path" => a.path = value(),
            "--header" => a.headers.push(value()),
            "--connections" => a.connections = value().parse().expect("--connections N"),
            "--requests" => a.requests = value().parse().expect("--requests N"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!a.unix.is_empty(), "--unix PATH is required");
    a
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Read one answer from `s` (buffered in `buf`); its status.
fn read_answer(s: &mut UnixStream, buf: &mut Vec<u8>, chunk: &mut [u8]) -> u16 {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).expect("ASCII head");
            let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
            let len: usize = head
                .split("\r\n")
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                })
                .expect("a Content-Length");
            let total = end + 4 + len;
            while buf.len() < total {
                let n = s.read(chunk).expect("read");
                assert!(n > 0, "the server closed the connection");
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..total);
            return status;
        }
        let n = s.read(chunk).expect("read");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn main() {
    let a = args();
    let mut request = format!("GET {} HTTP/1.1\r\nHost: localhost\r\n", a.path);
    for h in &a.headers {
        request.push_str(h);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    let request = Arc::new(request.into_bytes());
    let left = Arc::new(AtomicU64::new(a.requests));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let threads: Vec<_> = (0..a.connections)
        .map(|_| {
            let (request, left, errors, path) = (request.clone(), left.clone(), errors.clone(), a.unix.clone());
            std::thread::spawn(move || {
                let mut s = UnixStream::connect(&path).expect("connect");
                let mut lat: Vec<u32> = Vec::with_capacity(1 << 16);
                let (mut buf, mut chunk) = (Vec::with_capacity(4096), vec![0u8; 16384]);
                while left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1)).is_ok() {
                    let t = Instant::now();
                    s.write_all(&request).expect("write");
                    let status = read_answer(&mut s, &mut buf, &mut chunk);
                    lat.push(u32::try_from(t.elapsed().as_nanos() / 100).unwrap_or(u32::MAX));
                    if status != 200 {
                        errors.fetch_add(1, Ordering::Relaxed);
                        left.store(0, Ordering::Relaxed);
                    }
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<u32> = Vec::with_capacity(usize::try_from(a.requests).unwrap_or(0));
    for t in threads {
        all.extend(t.join().expect("a client thread panicked"));
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_unstable();
    // Latencies are kept in units of 100 ns.
    let pct = |p: f64| all.get(((all.len() as f64 - 1.0) * p).round() as usize).map_or(0.0, |v| f64::from(*v) / 10.0);
    println!(
        "{{\"requests\":{},\"errors\":{},\"seconds\":{secs:.3},\"rps\":{:.0},\"p50_us\":{:.1},\"p99_us\":{:.1}}}",
        all.len(),
        errors.load(Ordering::Relaxed),
        all.len() as f64 / secs,
        pct(0.50),
        pct(0.99)
    );
    if errors.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
