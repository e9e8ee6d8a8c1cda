//! Runtime monitor: event sources (eBPF, /proc fallback, replay), container attribution,
//! rule engine, alerts and metrics.
