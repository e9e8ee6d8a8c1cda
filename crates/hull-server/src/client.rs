//! The client side of `POST /api/v1/scans`: what `hull image --server URL` calls.

use std::time::Duration;

use hull_model::Inventory;

use crate::upload::{ImageRef, UploadBody};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("server url `{0}` must start with http:// or https://")]
    Url(String),
    #[error("cannot reach the server at {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("the server at {url} answered {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    #[error("the server at {url} sent an unreadable answer: {reason}")]
    Answer { url: String, reason: String },
}

/// The API token a client sends: `HULL_SERVER_TOKEN`, else the first line of
/// `$XDG_CONFIG_HOME/hull/server-token` (default `~/.config/hull/server-token`).
/// Never part of a URL: it goes in `Authorization: Bearer`.
pub fn token() -> Option<String> {
    if let Some(t) = std::env::var("HULL_SERVER_TOKEN")
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        return Some(t);
    }
    let dir = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".config"))
        })?;
    let text = std::fs::read_to_string(dir.join("hull/server-token")).ok()?;
    text.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// Push `inventory` (named `image`, else by the server from the inventory) to the
/// server at `base` (`http://host:8480`) with the token of [`token`]; returns the
/// server's JSON answer.
pub fn push(
    base: &str,
    image: Option<&ImageRef>,
    inventory: &Inventory,
) -> Result<serde_json::Value, ClientError> {
    push_with(base, image, inventory, None, token().as_deref())
}

/// [`push`] with the image score S of `hull image` in the body (field `score`).
pub fn push_with_score(
    base: &str,
    image: Option<&ImageRef>,
    inventory: &Inventory,
    score: Option<serde_json::Value>,
) -> Result<serde_json::Value, ClientError> {
    push_with(base, image, inventory, score, token().as_deref())
}

/// [`push`] with this token (or none).
pub fn push_with_token(
    base: &str,
    image: Option<&ImageRef>,
    inventory: &Inventory,
    token: Option<&str>,
) -> Result<serde_json::Value, ClientError> {
    push_with(base, image, inventory, None, token)
}

/// The one push: body `{image, inventory, score}`, `Authorization: Bearer` when a token is given.
fn push_with(
    base: &str,
    image: Option<&ImageRef>,
    inventory: &Inventory,
    score: Option<serde_json::Value>,
    token: Option<&str>,
) -> Result<serde_json::Value, ClientError> {
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(ClientError::Url(base.to_string()));
    }
    let url = format!("{}/api/v1/scans", base.trim_end_matches('/'));
    let body = serde_json::to_vec(&UploadBody {
        image,
        inventory,
        score,
    })
    .map_err(|e| ClientError::Answer {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        .build();
    let mut req = agent.post(&url).set("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.set("Authorization", &format!("Bearer {t}"));
    }
    let resp = req.send_bytes(&body);
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(status, r)) => {
            let text = r.into_string().unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or_else(|| text.chars().take(300).collect());
            return Err(ClientError::Status {
                url,
                status,
                message,
            });
        }
        Err(e) => {
            return Err(ClientError::Transport {
                url,
                reason: e.to_string(),
            })
        }
    };
    // ureq's `json` feature is off in this workspace: read text, parse with serde_json.
    let text = resp.into_string().map_err(|e| ClientError::Answer {
        url: url.clone(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| ClientError::Answer {
        url,
        reason: e.to_string(),
    })
}
