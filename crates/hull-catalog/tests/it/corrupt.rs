//! The real rpm databases of the corpus (Berkeley DB, ndb, SQLite), corrupted at test
//! time: the readers must report, never panic, and keep what is still readable.

use std::sync::Mutex;

use hull_catalog::analyzers::rpm;
use hull_model::ImagePath;

#[test]
fn corrupted_real_rpm_databases() {
    let Some(corpus) = crate::corpus() else {
        return;
    };
    let mut checked = 0;
    for id in ["centos-7.5.1804", "sles-15.3-bci", "amazonlinux-2023.1"] {
        let target = format!(
            "oci-dir:{}",
            corpus
                .join("images/legacy")
                .join(format!("{id}.oci"))
                .display()
        );
        let image = hull_image::open(&target, &Default::default()).unwrap();
        let dbs: Mutex<Vec<(ImagePath, Vec<u8>)>> = Mutex::new(Vec::new());
        image
            .walk(&|e, r| {
                if rpm::format_of(&e.path).is_some() {
                    let mut data = Vec::new();
                    r.read_to_end(&mut data)
                        .map_err(|e| hull_image::VisitError(Box::new(e)))?;
                    dbs.lock().unwrap().push((e.path.clone(), data));
                }
                Ok(())
            })
            .unwrap();
        for (path, data) in dbs.into_inner().unwrap() {
            let format = rpm::format_of(&path).unwrap();
            let (clean, _) = rpm::parse_db(format, &data).unwrap();
            assert!(!clean.is_empty(), "{id}: {path}");
            let mut rng = 0x1234_5678_9abc_def0_u64 ^ data.len() as u64;
            for round in 0..40 {
                let mut m = data.clone();
                // Trash a few 4 KiB-aligned regions, the unit both page formats use.
                for _ in 0..3 {
                    let page = (next(&mut rng) as usize) % (m.len() / 4096).max(1);
                    let at = page * 4096 + (next(&mut rng) as usize) % 4096;
                    let end = (at + 64).min(m.len());
                    for b in m.get_mut(at..end).unwrap_or(&mut []) {
                        *b = next(&mut rng) as u8;
                    }
                }
                if round % 10 == 9 {
                    m.truncate(m.len() / 2);
                }
                // Errors are fine; panics, hangs and invented packages are not.
                if let Ok((entries, _)) = rpm::parse_db(format, &m) {
                    assert!(entries.len() <= clean.len() + 3, "{id}: {path} grew");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
}

fn next(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}
