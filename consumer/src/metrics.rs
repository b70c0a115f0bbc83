//! Prometheus metrics with stable names, served at `/metrics`.
//!
//! Names and their Falco counterparts are listed in docs/metrics.md.

use std::sync::LazyLock;

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    pub registry: Registry,
    /// Kernel ring counters per CPU: seen, delivered, filtered, dropped.
    pub kernel_events: IntGaugeVec,
    /// The same per syscall (summed over CPUs): delivered, filtered, dropped.
    pub kernel_syscall_events: IntGaugeVec,
    /// How full each CPU's ring is (0..1) when last drained.
    pub ring_fill: prometheus::GaugeVec,
    /// Events delivered to the rules, per event type.
    pub events_by_type: IntCounterVec,
    pub events: IntCounterVec,
    pub decode_errors: IntCounter,
    pub alerts: IntCounterVec,
    pub outputs: IntCounterVec,
    pub audit_requests: IntCounter,
    pub audit_events: IntCounter,
    pub audit_rejected: IntCounter,
    pub audit_skipped: IntCounter,
    pub audit_broken_lines: IntCounter,
    pub audit_refused: IntCounterVec,
    pub http_body_bytes_in_flight: IntGauge,
    pub http_connections: IntGauge,
    pub http_connections_closed: IntCounterVec,
    pub http_accept_errors: IntCounter,
    pub threads: IntGauge,
    pub fds: IntGauge,
    pub containers: IntGauge,
    pub evictions: IntGauge,
    pub forgotten: IntGauge,
    pub rule_eval_seconds: Histogram,
    /// Events decoded and waiting for the rules thread.
    pub pipeline_queued: IntGauge,
    /// Time the reader waited for the rules thread (the rings filled meanwhile).
    pub pipeline_backpressure: prometheus::Counter,
    pub abi_version: IntGauge,
    pub per_syscall_hooks: IntGauge,
    pub host_cgroups: IntGauge,
}

fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

impl Metrics {
    fn new() -> Self {
        let r = Registry::new();
        let rule_eval_seconds = Histogram::with_opts(
            HistogramOpts::new("osprey_rule_eval_seconds", "Time to run state and rules on one event")
                .buckets(vec![1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 1e-4, 1e-3]),
        )
        .expect("valid metric");
        r.register(Box::new(rule_eval_seconds.clone())).expect("unique metric");
        let m = Metrics {
            kernel_events: gauge_vec(
                &r,
                "osprey_kernel_events",
                "Kernel ring counters since module load, per CPU",
                &["cpu", "outcome"],
            ),
            kernel_syscall_events: gauge_vec(
                &r,
                "osprey_kernel_syscall_events",
                "Kernel counters per syscall (enter and exit events), summed over CPUs; syscalls never seen are left out",
                &["syscall", "outcome"],
            ),
            ring_fill: {
                let g = prometheus::GaugeVec::new(
                    Opts::new("osprey_ring_fill_ratio", "Share of each CPU ring holding undrained records"),
                    &["cpu"],
                )
                .expect("valid metric");
                r.register(Box::new(g.clone())).expect("unique metric");
                g
            },
            events_by_type: counter_vec(
                &r,
                "osprey_events_by_type_total",
                "Syscall events processed, per event type (evt.type)",
                &["type"],
            ),
            events: counter_vec(
                &r,
                "osprey_events_total",
                "Events processed by the rule engine, by source",
                &["source"],
            ),
            decode_errors: counter(&r, "osprey_decode_errors_total", "Records that failed validation and were skipped"),
            alerts: counter_vec(&r, "osprey_alerts_total", "Alerts raised", &["rule", "priority", "source"]),
            outputs: counter_vec(
                &r,
                "osprey_output_total",
                "Alerts per output: sent, failed, dropped",
                &["output", "outcome"],
            ),
            audit_requests: counter(&r, "osprey_k8s_audit_requests_total", "Requests to POST /k8s-audit"),
            audit_events: counter(&r, "osprey_k8s_audit_events_total", "Audit events parsed (webhook and file)"),
            audit_rejected: counter(
                &r,
                "osprey_k8s_audit_rejected_total",
                "Audit payloads rejected (malformed JSON, too large)",
            ),
            audit_skipped: counter(&r, "osprey_k8s_audit_skipped_total", "Items that were not audit events"),
            audit_broken_lines: counter(
                &r,
                "osprey_k8s_audit_broken_lines_total",
                "Lines of JSON-lines audit bodies and files that were not JSON (the other lines evaluated)",
            ),
            audit_refused: {
                let c = counter_vec(
                    &r,
                    "osprey_k8s_audit_refused_total",
                    "Audit requests refused for now with 429 and Retry-After (busy: bodies in flight at their cap)",
                    &["reason"],
                );
                // Shown (at 0) before the first refusal, for alerting rules.
                c.with_label_values(&["busy"]);
                c
            },
            http_body_bytes_in_flight: gauge(
                &r,
                "osprey_http_body_bytes_in_flight",
                "Bytes of request bodies held now (at most http.max_bytes_in_flight)",
            ),
            http_connections: gauge(&r, "osprey_http_connections", "HTTP connections open"),
            http_connections_closed: counter_vec(
                &r,
                "osprey_http_connections_closed_total",
                "HTTP connections the server closed before a request: timeout, evicted (at the cap), refused, tls",
                &["reason"],
            ),
            http_accept_errors: counter(
                &r,
                "osprey_http_accept_errors_total",
                "Failed accepts (e.g. at the descriptor limit), each followed by a back-off",
            ),
            threads: gauge(&r, "osprey_state_threads", "Threads in the process table"),
            fds: gauge(&r, "osprey_state_fds", "File descriptors tracked"),
            containers: gauge(&r, "osprey_state_containers", "Container cgroups known"),
            evictions: gauge(&r, "osprey_state_thread_evictions", "Threads evicted because the table was full"),
            forgotten: gauge(
                &r,
                "osprey_state_threads_forgotten",
                "Threads forgotten because they left /proc without an exit record (lost to a full ring)",
            ),
            rule_eval_seconds,
            pipeline_queued: gauge(&r, "osprey_pipeline_queued_events", "Events decoded and waiting for the rules thread"),
            pipeline_backpressure: {
                let c = prometheus::Counter::new(
                    "osprey_pipeline_backpressure_seconds_total",
                    "Time the ring reader waited for the rules thread to take a batch",
                )
                .expect("valid metric");
                r.register(Box::new(c.clone())).expect("unique metric");
                c
            },
            abi_version: gauge(&r, "osprey_module_abi_version", "ABI version of the attached kernel module"),
            per_syscall_hooks: gauge(
                &r,
                "osprey_module_per_syscall_hooks",
                "1 while per-syscall hooks carry the syscalls, 0 while the global syscall tracepoints do",
            ),
            host_cgroups: gauge(
                &r,
                "osprey_module_host_cgroups",
                "Host cgroups in the module's container filter (container-only syscalls dropped there)",
            ),
            registry: r,
        };
        #[cfg(target_os = "linux")]
        m.registry
            .register(Box::new(prometheus::process_collector::ProcessCollector::for_self()))
            .expect("unique metric");
        m
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("encodable");
        String::from_utf8(buf).expect("UTF-8")
    }
}

/// The process-wide metrics.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_stable_names() {
        METRICS.alerts.with_label_values(&["r", "Warning", "syscall"]).inc();
        METRICS.kernel_events.with_label_values(&["0", "dropped"]).set(3);
        let text = METRICS.render();
        assert!(text.contains("osprey_alerts_total{priority=\"Warning\",rule=\"r\",source=\"syscall\"} 1"), "{text}");
        assert!(text.contains("osprey_kernel_events{cpu=\"0\",outcome=\"dropped\"} 3"));
        assert!(text.contains("process_resident_memory_bytes"));
    }
}
