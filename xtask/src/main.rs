//! Repository chores that are not part of hull itself (kept tiny on purpose).
fn main() {
    eprintln!("usage: cargo run -p xtask -- <task>  (no tasks yet; benches live in bench/)");
}
