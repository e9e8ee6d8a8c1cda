//! Scan files given on the command line and print the findings (a debugging aid).
//!
//! `cargo run -p hull-secret --example scan -- FILE...`
fn main() {
    let scanner = hull_secret::Scanner::builtin();
    for path in std::env::args().skip(1) {
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        for s in scanner.scan(&path, &data) {
            println!(
                "{path}:{}:{}: {} [{}] {} {}{}",
                s.line,
                s.column,
                s.rule,
                s.severity,
                s.excerpt,
                s.fingerprint,
                s.detail.map(|d| format!(" ({d})")).unwrap_or_default()
            );
        }
    }
}
