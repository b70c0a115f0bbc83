//! Router fan-out: alerts/s delivered to three destinations at once (Loki,
//! Elasticsearch and Alertmanager payloads, batched, to a local HTTP
//! receiver), and the memory the router holds under a sustained stream of
//! alerts when one destination is dead (a counting allocator).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use osprey::output::router::{Route, RouteConfig};
use osprey::output::Output;
use osprey::rules::engine::Alert;
use osprey::rules::loader::Priority;

mod common;

#[path = "../tests/support/http_receiver.rs"]
mod http_receiver;

#[global_allocator]
static ALLOCATOR: common::Counting = common::Counting;

const ALERTS: usize = 20_000;

fn alert(i: usize) -> Alert {
    Alert {
        hostname: "node-1".into(),
        output: format!("12:00:00.000000000: Warning Sensitive file opened (file=/etc/shadow proc=cat n={i})"),
        output_fields: serde_json::json!({"fd.name": "/etc/shadow", "proc.name": "cat", "container.id": "host"})
            .as_object()
            .cloned()
            .unwrap(),
        priority: Priority::Warning,
        rule: "Read sensitive file".into(),
        source: "syscall",
        tags: vec!["filesystem".into()],
        time: "2026-11-28T12:00:00.000000001Z".into(),
    }
}

fn routes(yaml: &str) -> Vec<Route> {
    let configs: Vec<RouteConfig> = serde_norway::from_str(yaml).unwrap();
    configs.iter().map(|c| Route::start(c, ALERTS).unwrap()).collect()
}

/// Live bytes while 200 000 alerts stream past a dead destination next to a
/// live one: the dead one's queue is bounded, so this stays flat.
fn measure_dead_destination_memory(port: u16) {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let rs = routes(&format!(
        "[{{type: webhook, name: bench-dead, url: 'http://127.0.0.1:{dead}/', queue_capacity: 1000}},\
          {{type: loki, name: bench-live, url: 'http://127.0.0.1:{port}', queue_capacity: 1000}}]"
    ));
    let a = alert(0);
    let start = common::live_bytes();
    let mut peak = 0usize;
    for i in 0..200_000 {
        rs.iter().for_each(|r| r.emit(&a));
        if i % 1000 == 0 {
            peak = peak.max(common::live_bytes().saturating_sub(start));
            // A steady stream, not a burst: ~100k alerts/s.
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    println!(
        "router memory: 200000 alerts, one dead destination (queue 1000): peak {:.1} MiB above start, {:.1} MiB at the end",
        peak as f64 / (1 << 20) as f64,
        common::live_bytes().saturating_sub(start) as f64 / (1 << 20) as f64
    );
    // Not flushed: the dead destination would retry its queue for minutes.
}

fn bench(c: &mut Criterion) {
    let (port, _, requests) = http_receiver::start(false);
    measure_dead_destination_memory(port);
    let yaml = format!(
        "[{{type: loki, url: 'http://127.0.0.1:{port}'}},\
          {{type: elasticsearch, url: 'http://127.0.0.1:{port}'}},\
          {{type: alertmanager, url: 'http://127.0.0.1:{port}'}}]"
    );
    let alerts: Vec<Alert> = (0..ALERTS).map(alert).collect();
    let mut group = c.benchmark_group("router");
    group.throughput(Throughput::Elements(ALERTS as u64));
    group.sample_size(10);
    group.bench_function("fan_out_3_destinations_20k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let rs = routes(&yaml);
                let start = Instant::now();
                for a in &alerts {
                    rs.iter().for_each(|r| r.emit(a));
                }
                rs.iter().for_each(|r| r.flush());
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
    println!("receiver requests: {}", requests.load(Ordering::Relaxed));
}

criterion_group!(benches, bench);
criterion_main!(benches);
