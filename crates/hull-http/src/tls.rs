//! TLS from PEM files, reloadable while serving: each new connection takes the
//! configuration current at its accept, so a reload (on `SIGHUP`, after a renewal
//! tool replaced the files) never drops a connection and a failed reload changes
//! nothing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The PEM certificate chain (leaf first) and private key (PKCS#8, PKCS#1 or SEC1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The current TLS configuration and the files it is reloaded from.
#[derive(Clone)]
pub struct TlsReloader {
    files: TlsFiles,
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl TlsReloader {
    /// Read and check the files.
    pub fn load(files: &TlsFiles) -> Result<TlsReloader, Error> {
        let cfg = config(files)?;
        Ok(TlsReloader {
            files: files.clone(),
            current: Arc::new(RwLock::new(cfg)),
        })
    }

    /// Read the files again; on success new connections use them, on failure the
    /// previous certificate stays.
    pub fn reload(&self) -> Result<(), Error> {
        let cfg = config(&self.files)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = cfg;
        Ok(())
    }

    /// The configuration new connections get.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::TlsFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// A rustls server configuration (ring provider, TLS 1.2 and 1.3, ALPN `http/1.1`).
pub fn config(files: &TlsFiles) -> Result<Arc<ServerConfig>, Error> {
    let certs = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::TlsFile {
            path: files.cert.clone(),
            reason: format!("not a PEM certificate chain: {e}"),
        })?;
    if certs.is_empty() {
        return Err(Error::TlsFile {
            path: files.cert.clone(),
            reason: "no CERTIFICATE in the file".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?).map_err(|e| Error::TlsFile {
        path: files.key.clone(),
        reason: format!("no PEM private key: {e}"),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
