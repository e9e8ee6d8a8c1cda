//! `cargo run --release -p hull-image --example walk -- <target> [--read]`: open a
//! target, stream every layer (optionally reading every file's bytes) and print what
//! was seen. Used by `bench/walk.sh`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(target) = args.first() else {
        eprintln!("usage: walk <target> [--read]");
        return ExitCode::from(2);
    };
    let read = args.iter().any(|a| a == "--read");
    let start = Instant::now();
    let image = match hull_image::open(target, &Default::default()) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (entries, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    let walked = image.walk(&|_, r| {
        entries.fetch_add(1, Ordering::Relaxed);
        if read {
            let mut buf = [0u8; 64 << 10];
            loop {
                let n = r.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
        Ok(())
    });
    match walked {
        Ok(tree) => {
            println!(
                "{target}: {} layers, {} entries, {} file bytes read, {} paths in the final view, {:.2}s",
                image.info.layers.len(),
                entries.load(Ordering::Relaxed),
                bytes.load(Ordering::Relaxed),
                tree.len(),
                start.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
