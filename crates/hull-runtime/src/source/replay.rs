//! Replay source: one JSON [`Event`] per line. Blank lines and `#` comments are skipped;
//! a malformed line becomes a diagnostic naming its line number and replay goes on.

use std::io::BufRead;
use std::path::Path;
use std::sync::mpsc::SyncSender;

use super::{SourceCtl, SourceError, SourceMsg};
use crate::event::Event;

/// Parse one line; `Ok(None)` for blank/comment lines.
pub fn parse_line(line: &str) -> Result<Option<Event>, String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    serde_json::from_str::<Event>(t)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Read `path` and send every event; blocks on a full channel (replay must not lose
/// events). Returns when the file ends or the stop flag is set.
pub fn run(path: &Path, tx: SyncSender<SourceMsg>, ctl: SourceCtl) -> Result<(), SourceError> {
    let f = std::fs::File::open(path).map_err(|source| SourceError::ReplayOpen {
        path: path.display().to_string(),
        source,
    })?;
    ctl.set_ready();
    let reader = std::io::BufReader::new(f);
    for (i, line) in reader.lines().enumerate() {
        if ctl.stopped() {
            break;
        }
        let msg = match line {
            Err(e) => {
                SourceMsg::Diagnostic(format!("{}:{}: read error: {e}", path.display(), i + 1))
            }
            Ok(l) => match parse_line(&l) {
                Ok(None) => continue,
                Ok(Some(ev)) => {
                    ctl.stats
                        .events
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    SourceMsg::Event(Box::new(ev))
                }
                Err(e) => {
                    SourceMsg::Diagnostic(format!("{}:{}: bad event: {e}", path.display(), i + 1))
                }
            },
        };
        if tx.send(msg).is_err() {
            return Ok(());
        }
    }
    let _ = tx.send(SourceMsg::End);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parsed_skipped_or_reported() {
        assert!(parse_line("").unwrap().is_none());
        assert!(parse_line("  # note").unwrap().is_none());
        let e = parse_line(r#"{"type":"exec","pid":3,"comm":"sh"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(e.comm, "sh");
        assert!(parse_line("{not json").is_err());
        assert!(parse_line(r#"{"type":"nope"}"#).is_err());
        assert!(parse_line(r#"{"pid":-1}"#).is_err());
    }

    #[test]
    fn replay_file_sends_events_and_diagnostics() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.jsonl");
        std::fs::write(
            &p,
            "{\"type\":\"exec\",\"pid\":1}\ngarbage\n\n{\"type\":\"exit\",\"pid\":1}\n",
        )
        .unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let ctl = SourceCtl::default();
        let h = std::thread::spawn(move || run(&p, tx, ctl));
        let msgs: Vec<SourceMsg> = rx.iter().collect();
        h.join().unwrap().unwrap();
        assert_eq!(msgs.len(), 4);
        assert!(matches!(&msgs[1], SourceMsg::Diagnostic(d) if d.contains("r.jsonl:2: bad event")));
        assert!(matches!(msgs[3], SourceMsg::End));
        let (tx, _rx) = std::sync::mpsc::sync_channel(1);
        assert!(run(Path::new("/nonexistent.jsonl"), tx, SourceCtl::default()).is_err());
    }
}
