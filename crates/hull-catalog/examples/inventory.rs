//! Catalog one image and print its inventory as JSON on stdout, with the time taken on
//! stderr: `cargo run --release -p hull-catalog --example inventory -- oci-archive:x.tar`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args().nth(1).ok_or(
        "usage: inventory TARGET (oci-archive:, oci-dir:, docker-archive:, dir:, registry:)",
    )?;
    let start = std::time::Instant::now();
    let image = hull_image::open(&target, &Default::default())?;
    let inv = hull_catalog::catalog(&image, &Default::default())?;
    eprintln!(
        "{target}: {} packages, {} diagnostics in {:.2?}",
        inv.packages.len(),
        inv.diagnostics.len(),
        start.elapsed()
    );
    serde_json::to_writer_pretty(std::io::stdout().lock(), &inv)?;
    println!();
    Ok(())
}
