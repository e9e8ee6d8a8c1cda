//! The web dashboard: plain server-rendered HTML with a little inline CSS, no
//! JavaScript. Every stored string (image names, package names, advisory ids) went
//! through [`escape`]; the response also carries a CSP that forbids scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hull_model::Severity;

use crate::store::{Counts, StoreError, Version};
use crate::App;

/// HTML-escape text for element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encode a repository for a link (`/` stays, it is part of the route).
fn link_repo(repo: &str) -> String {
    repo.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
th{background:#f3f3f3}.critical{color:#fff;background:#8b0000}.high{color:#fff;background:#d9480f}\
.medium{background:#fcc419}.low{background:#d3f9d8}.ok{color:#2b8a3e}.bad{color:#c92a2a}code{font-size:90%}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(title)
    )
}

fn counts_cells(c: Option<&Counts>) -> String {
    let mut s = String::new();
    for sev in Severity::ALL.iter().rev() {
        match c {
            Some(c) => {
                let n = c.get(*sev);
                let class = if n > 0 { sev.as_str() } else { "" };
                let _ = write!(s, "<td class=\"{class}\">{n}</td>");
            }
            None => s.push_str("<td>–</td>"),
        }
    }
    s
}

fn severity_headers() -> String {
    Severity::ALL
        .iter()
        .rev()
        .map(|s| format!("<th>{}</th>", s.as_str()))
        .collect()
}

fn version_row(v: &Version, with_repo: bool) -> String {
    let scan = v.latest_scan.as_ref();
    let counts = scan.filter(|s| s.matched).map(|s| &s.counts);
    let mut s = String::from("<tr>");
    if with_repo {
        let _ = write!(
            s,
            "<td><a href=\"/images/{}\">{}</a></td>",
            escape(&link_repo(&v.image.repository)),
            escape(&v.image.repository)
        );
    }
    let _ = write!(
        s,
        "<td>{}</td><td><code>{}</code></td>{}<td>{}</td><td>{}</td></tr>",
        escape(v.image.tag.as_deref().unwrap_or("")),
        escape(
            v.image
                .digest
                .as_deref()
                .map_or("", |d| d.get(..19).unwrap_or(d))
        ),
        counts_cells(counts),
        scan.map_or(String::new(), |s| format!(
            "<a href=\"/api/v1/scans/{}/findings\">{}</a>",
            s.id,
            escape(&s.scanned_at)
        )),
        scan.map_or(String::new(), |s| s.new_findings.to_string()),
    );
    s
}

/// `/`: every image version with its latest counts, and the newest findings.
pub fn index(app: &App, caller: &crate::access::Caller) -> Result<String, StoreError> {
    let versions = app.store.versions(None)?;
    let mut by_repo: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &versions {
        *by_repo.entry(v.image.repository.as_str()).or_insert(0) += 1;
    }
    let mut b = String::from("<h1>hull — images</h1>");
    b.push_str(&session_forms(caller));
    let _ = write!(
        b,
        "<p>{} repositories, {} image versions. Vulnerability database: <code>{}</code>.</p>",
        by_repo.len(),
        versions.len(),
        escape(&app.config.vulndb.display().to_string())
    );
    let _ = write!(
        b,
        "<table><tr><th>repository</th><th>tag</th><th>digest</th>{}<th>last scan</th><th>new</th></tr>",
        severity_headers()
    );
    for v in &versions {
        b.push_str(&version_row(v, true));
    }
    b.push_str("</table><h2>Newest findings</h2>");
    let recent = app.store.recent_new_findings(50)?;
    if recent.is_empty() {
        b.push_str("<p>No new findings since the images were first scanned.</p>");
    } else {
        b.push_str("<table><tr><th>image</th><th>id</th><th>severity</th><th>package</th><th>installed</th><th>fixed</th><th>found</th></tr>");
        for n in &recent {
            let f = &n.finding;
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&n.image.display()),
                escape(&f.advisory_id),
                f.severity.as_str(),
                f.severity.as_str(),
                escape(&f.package),
                escape(&f.installed),
                escape(f.fixed.as_deref().unwrap_or("")),
                escape(&n.scanned_at)
            );
        }
        b.push_str("</table>");
    }
    if let Some(latest) = app.store.audits(1)?.into_iter().next() {
        let _ = write!(
            b,
            "<h2>Configuration audit</h2><p>Last run <a href=\"/api/v1/audits/{}\">{}</a>: {} file(s), {} unreadable, {} new finding(s).</p>\
             <table><tr>{}</tr><tr>{}</tr></table>",
            latest.id,
            escape(&latest.ran_at),
            latest.files,
            latest.errors,
            latest.new_findings,
            severity_headers(),
            counts_cells(Some(&latest.counts))
        );
    }
    Ok(page("hull dashboard", &b))
}

/// `/images/{repository}`: version history (newest first) and the recommendation.
/// For a signed-in browser: who it is, "Rescan now" (admin) and "Sign out", each a
/// form carrying the session's CSRF token.
fn session_forms(caller: &crate::access::Caller) -> String {
    let Some(csrf) = caller.csrf.as_deref() else {
        return String::new();
    };
    let csrf = escape(csrf);
    let mut s = format!(
        "<p>Signed in as <code id=\"actor\">{}</code>. ",
        escape(&caller.actor)
    );
    if caller.scope >= Some(crate::tokens::Scope::Admin) {
        let _ = write!(
            s,
            "<form method=\"post\" action=\"/ui/rescan\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button id=\"rescan\" type=\"submit\">Rescan now</button></form> "
        );
    }
    let _ = write!(
        s,
        "<form method=\"post\" action=\"/sign-out\" style=\"display:inline\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button type=\"submit\">Sign out</button></form></p>"
    );
    s
}

/// The sign-in page: one token field.
pub fn sign_in_page(message: Option<&str>) -> String {
    let msg = message
        .map(|m| format!("<p class=\"bad\" id=\"message\">{}</p>", escape(m)))
        .unwrap_or_default();
    page(
        "hull — sign in",
        &format!(
            "<h1>hull — sign in</h1>{msg}<form method=\"post\" action=\"/sign-in\"><label>API token <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" size=\"72\"></label> <button id=\"go\" type=\"submit\">Sign in</button></form><p>A token with scope <code>read</code> or more (<code>hull server token create</code>).</p>"
        ),
    )
}

/// A small page with a message (after a dashboard action).
pub fn message_page(title: &str, message: &str) -> String {
    page(
        title,
        &format!(
            "<p><a href=\"/\">← all images</a></p><h1>{}</h1><p id=\"message\">{}</p>",
            escape(title),
            escape(message)
        ),
    )
}

pub fn image_page(app: &App, repo: &str) -> Result<Option<String>, StoreError> {
    let mut versions = app.store.versions(Some(repo))?;
    if versions.is_empty() {
        return Ok(None);
    }
    let rec = crate::recommend::recommend_with(
        repo,
        versions.clone(),
        Severity::High,
        None,
        app.config.unknown_as,
    );
    crate::recommend::order(&mut versions);
    let mut b = format!(
        "<p><a href=\"/\">← all images</a></p><h1>{}</h1>",
        escape(repo)
    );
    let action = match rec.action {
        crate::recommend::Action::Stay => "stay",
        crate::recommend::Action::RollBack => "roll back",
        crate::recommend::Action::RollForward => "roll forward",
        crate::recommend::Action::None => "no safe version",
    };
    let _ = write!(
        b,
        "<h2>Recommendation (threshold: high)</h2><p class=\"{}\"><b>{}</b>{}: {}</p>",
        if rec.recommended.is_some() {
            "ok"
        } else {
            "bad"
        },
        escape(action),
        rec.recommended
            .as_ref()
            .map_or(String::new(), |r| format!(" to {}", escape(&r.display()))),
        escape(&rec.reason)
    );
    let _ = write!(
        b,
        "<h2>Versions (newest first)</h2><table><tr><th>tag</th><th>digest</th>{}<th>last scan</th><th>new</th></tr>",
        severity_headers()
    );
    for v in versions.iter().rev() {
        b.push_str(&version_row(v, false));
    }
    b.push_str("</table>");
    Ok(Some(page(&format!("hull — {repo}"), &b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(link_repo("a/b c\""), "a/b%20c%22");
    }
}
