//! The PostgreSQL backend, for several `hull server` replicas on one database.
//!
//! The same schema and statements as SQLite ([`super::sql`]); what replicas add:
//! - Writes that read-then-write (a scan's "new findings" baseline, an audit run's)
//!   take a transaction-scoped advisory lock per image (per audit series), so two
//!   replicas recording the same image serialise instead of both seeing the same
//!   previous scan.
//! - [`PgStore::connect`] creates the schema under an advisory lock: replicas that
//!   start together do not race on `CREATE TABLE`.
//! - A rescan holds a session advisory lock on its own connection, keyed by the
//!   vulnerability database's fingerprint ([`super::Store::lock_rescan`]).
//!
//! TLS ([`tls`]): `sslmode=disable` (the default: plain TCP), `require` (encrypted,
//! the server's certificate not checked, as libpq does), or `verify-full` (the
//! certificate must chain to `sslrootcert=PEM`, else to the public web roots, and
//! name the host), given as URL query parameters. One connection per process, behind a mutex
//! (as with SQLite), re-opened when PostgreSQL closed it.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, Statement};
use sha2::{Digest as _, Sha256};

use super::sql::{self, Conn, Dialect, Row, Value};
use super::{RescanGuard, StoreError};

/// First half of the two-key advisory locks ("hull"); the single-`bigint` keys of
/// [`Conn::serialize`] are a separate key space in PostgreSQL.
const LOCK_CLASS_RESCAN: i32 = 0x6875_6c6c;
/// Key of the transaction creating the schema.
const SCHEMA_LOCK: i64 = 0x6875_6c6c_0000_0000;

/// A PostgreSQL store (`--store postgres://…`).
pub struct PgStore {
    session: Mutex<Session>,
    config: postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// The URL without its password, for messages.
    display: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("store", &self.display)
            .finish()
    }
}

/// `postgres://user@host:port/db` from a parsed config: never the password.
fn describe(c: &postgres::Config) -> String {
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                postgres::config::Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(p) => p.display().to_string(),
            };
            match c.get_ports().get(i).or(c.get_ports().first()) {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
        .collect();
    format!(
        "postgres://{}{}/{}",
        c.get_user().map(|u| format!("{u}@")).unwrap_or_default(),
        hosts.join(","),
        c.get_dbname().unwrap_or("")
    )
}

/// The connection and the statements prepared on it (valid for its lifetime, also
/// inside its transactions): each statement is parsed once per connection instead
/// of once per call, which halves the round trips of a scan's many inserts.
struct Session {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

struct Pg<'a, C: GenericClient> {
    client: &'a mut C,
    statements: &'a mut HashMap<&'static str, Statement>,
    store: &'a str,
}

impl<C: GenericClient> Pg<'_, C> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .client
            .prepare(&Dialect::Postgres.placeholders(sql))
            .map_err(|error| StoreError::Postgres {
                store: self.store.to_string(),
                error,
            })?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

/// Bound values: NULLs are typed text (the only nullable parameters are text).
fn bind(params: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Value::Null => Box::new(None::<String>),
                Value::Int(v) => Box::new(*v),
                Value::Text(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

fn value(row: &postgres::Row, i: usize) -> Result<Value, postgres::Error> {
    let ty = row.columns().get(i).map(|c| c.type_().clone());
    Ok(match ty {
        Some(Type::INT8) => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Int),
        Some(Type::INT4) => row
            .try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Some(Type::INT2) => row
            .try_get::<_, Option<i16>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        Some(Type::BOOL) => row
            .try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into())),
        // TEXT, VARCHAR, NAME, …: whatever reads as a string; other types are
        // reported by the typed getters as a wrong type.
        _ => row
            .try_get::<_, Option<String>>(i)
            .ok()
            .flatten()
            .map_or(Value::Null, Value::Text),
    })
}

impl<C: GenericClient> Conn for Pg<'_, C> {
    fn exec(&mut self, sql: &'static str, params: &[Value]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        let bound = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let store = self.store;
        self.client
            .execute(&stmt, &refs)
            .map_err(|source| StoreError::Postgres {
                store: store.to_string(),
                error: source,
            })
    }

    fn query(&mut self, sql: &'static str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        let bound = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|b| b.as_ref()).collect();
        let store = self.store;
        let err = |source| StoreError::Postgres {
            store: store.to_string(),
            error: source,
        };
        let rows = self.client.query(&stmt, &refs).map_err(err)?;
        rows.iter()
            .map(|r| {
                let values = (0..r.len())
                    .map(|i| value(r, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?;
                Ok(Row {
                    values,
                    store: store.to_string(),
                    sql,
                })
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        let store = self.store;
        self.client
            .batch_execute(sql)
            .map_err(|source| StoreError::Postgres {
                store: store.to_string(),
                error: source,
            })
    }

    fn serialize(&mut self, key: i64) -> Result<(), StoreError> {
        self.exec("SELECT pg_advisory_xact_lock(?1)", &[key.into()])
            .map(|_| ())
    }
}

impl PgStore {
    /// Connect to `url` (`postgres://user[:password]@host[:port]/database`, or the
    /// libpq `key=value` form), check the schema version and create what is missing.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let (rest, tls) = tls::split(url.trim()).map_err(|reason| StoreError::BadUrl {
            url: redact(url),
            reason,
        })?;
        let mut config = postgres::Config::from_str(&rest).map_err(|e| StoreError::BadUrl {
            url: redact(url),
            reason: e.to_string(),
        })?;
        if tls.is_some() {
            config.ssl_mode(postgres::config::SslMode::Require);
        }
        if config.get_hosts().is_empty() {
            return Err(StoreError::BadUrl {
                url: redact(url),
                reason: "no host".into(),
            });
        }
        if config.get_connect_timeout().is_none() {
            // A wrong host must fail start-up, not hang it.
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("hull-server");
        let display = describe(&config);
        let err = |source| StoreError::Postgres {
            store: display.clone(),
            error: source,
        };
        let mut client = tls::open(&config, tls.as_ref()).map_err(err)?;
        let mut statements = HashMap::new();
        {
            let mut tx = client.transaction().map_err(err)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .map_err(err)?;
            // The version is checked before the layout is touched: a newer store
            // stays as it is.
            let has_table: bool = tx
                .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
                .and_then(|r| r.try_get(0))
                .map_err(err)?;
            sql::init(
                &mut Pg {
                    client: &mut tx,
                    statements: &mut statements,
                    store: &display,
                },
                Dialect::Postgres,
                has_table,
                &display,
            )?;
            tx.commit().map_err(err)?;
        }
        Ok(PgStore {
            session: Mutex::new(Session { client, statements }),
            config,
            tls,
            display,
        })
    }

    /// The URL without its password.
    pub fn describe(&self) -> &str {
        &self.display
    }

    fn err(&self) -> impl Fn(postgres::Error) -> StoreError + '_ {
        move |source| StoreError::Postgres {
            store: self.display.clone(),
            error: source,
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Session>, StoreError> {
        // A panicked holder leaves the client usable (an open transaction rolls
        // back when dropped).
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        if session.client.is_closed() {
            // PostgreSQL restarted or dropped us: one fresh connection (prepared
            // statements died with the old one), then the statement fails or
            // succeeds on its own.
            session.statements.clear();
            session.client = tls::open(&self.config, self.tls.as_ref()).map_err(self.err())?;
        }
        Ok(session)
    }

    fn read<R>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut session = self.lock()?;
        let Session { client, statements } = &mut *session;
        f(&mut Pg {
            client,
            statements,
            store: &self.display,
        })
    }

    /// Run `f` in one transaction, committed when it succeeds, rolled back on error.
    fn write<R>(
        &self,
        f: impl FnOnce(&mut dyn Conn) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut session = self.lock()?;
        let Session { client, statements } = &mut *session;
        let mut tx = client.transaction().map_err(self.err())?;
        let out = f(&mut Pg {
            client: &mut tx,
            statements,
            store: &self.display,
        })?;
        tx.commit().map_err(self.err())?;
        Ok(out)
    }

    /// A session advisory lock on a connection of its own: held exactly as long as
    /// the guard (closing the connection releases it, also when this process dies).
    fn rescan_lock(&self, fingerprint: &str) -> Result<Option<RescanGuard>, StoreError> {
        let digest = Sha256::digest(fingerprint.as_bytes());
        let key = i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        let mut client = tls::open(&self.config, self.tls.as_ref()).map_err(self.err())?;
        let got: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, $2)",
                &[&LOCK_CLASS_RESCAN, &key],
            )
            .and_then(|r| r.try_get(0))
            .map_err(self.err())?;
        Ok(got.then(|| RescanGuard(Box::new(client))))
    }
}

/// The error and its causes, each distinct message once ("error connecting to
/// server: Connection refused (os error 111)").
pub(crate) fn message(e: &postgres::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        // A level may repeat the previous one, or already end with its cause.
        if !parts.iter().any(|p| p == &text || p.ends_with(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// `url` without a password, for a message about a URL that did not parse.
pub(crate) fn redact(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".into();
    };
    // The userinfo ends at the last `@` before the path (a password may hold `@`).
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{}", &rest[authority_end..])
        }
        None => url.to_string(),
    }
}

sql::impl_store!(PgStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_described_without_passwords() {
        let c = postgres::Config::from_str("postgres://hull:s3cret@db.internal:6432/hull").unwrap();
        assert_eq!(describe(&c), "postgres://hull@db.internal:6432/hull");
        assert_eq!(
            redact("postgres://hull:s3cret@db/x?sslmode=bogus"),
            "postgres://hull@db/x?sslmode=bogus"
        );
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
        assert_eq!(redact("postgres://u:p@ss@db/x"), "postgres://u@db/x");
    }

    #[test]
    fn bad_urls_are_refused_before_connecting() {
        for url in ["postgres://u@h:notaport/db", "postgres://u:pw@/db"] {
            match PgStore::connect(url) {
                Err(e @ StoreError::BadUrl { .. }) => {
                    assert!(!e.to_string().contains("pw@"), "{e}")
                }
                other => panic!("{url}: expected BadUrl, got {other:?}"),
            }
        }
    }
}

/// TLS to PostgreSQL: the `sslmode`/`sslrootcert` URL parameters and the rustls
/// connector they make.
pub(crate) mod tls {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};
    use tokio_postgres_rustls::MakeRustlsConnect;

    /// `url` without `sslmode`/`sslrootcert`, and the connector they ask for (`None`:
    /// plain TCP). Only the URL form carries them; `prefer` is refused (a silent
    /// downgrade is what TLS is meant to prevent).
    pub(crate) fn split(url: &str) -> Result<(String, Option<MakeRustlsConnect>), String> {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_string(), None));
        };
        let mut mode = None;
        let mut root = None;
        let mut kept = Vec::new();
        for kv in query.split('&').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = crate::http::percent_decode(v, true).ok_or("malformed percent-encoding")?;
            match k {
                "sslmode" => mode = Some(v),
                "sslrootcert" => root = Some(v),
                _ => kept.push(kv),
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let cfg = match mode.as_deref().unwrap_or("disable") {
            "disable" => {
                if root.is_some() {
                    return Err("sslrootcert needs sslmode=verify-full".into());
                }
                return Ok((rest, None));
            }
            "require" => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
                .with_no_client_auth(),
            "verify-full" => {
                let mut roots = rustls::RootCertStore::empty();
                match &root {
                    Some(path) => {
                        use rustls_pki_types::pem::PemObject;
                        let pem =
                            std::fs::read(path).map_err(|e| format!("sslrootcert {path}: {e}"))?;
                        for c in CertificateDer::pem_slice_iter(&pem) {
                            let c = c.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                            roots
                                .add(c)
                                .map_err(|e| format!("sslrootcert {path}: {e}"))?;
                        }
                        if roots.is_empty() {
                            return Err(format!("sslrootcert {path}: no certificate"));
                        }
                    }
                    None => roots.roots = webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            other => {
                return Err(format!(
                    "sslmode `{other}` is not supported (disable, require or verify-full)"
                ))
            }
        };
        Ok((rest, Some(MakeRustlsConnect::new(cfg))))
    }

    /// Connect with `tls`, or plain TCP without it.
    pub(crate) fn open(
        config: &postgres::Config,
        tls: Option<&MakeRustlsConnect>,
    ) -> Result<postgres::Client, postgres::Error> {
        match tls {
            Some(t) => config.connect(t.clone()),
            None => config.connect(postgres::NoTls),
        }
    }

    /// `sslmode=require`: encrypt, accept any certificate (libpq's meaning). The
    /// handshake signatures are still checked, so the session key is the server's.
    #[derive(Debug)]
    struct Unverified(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for Unverified {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
