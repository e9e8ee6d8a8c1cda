//! Which files are looked at, and by which rules: a cheap test of the path alone.

/// Files never handed to the scanner: larger than this (a 2 GB sparse file is not
/// read), or of a type that holds no text (compressed, media, compiled objects).
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// Extensions of files that are never text a secret could be read from: compressed or
/// archived (their members are not unpacked), images, audio/video, fonts, compiled code.
const SKIP_EXT: &[&str] = &[
    "gz", "tgz", "bz2", "xz", "zst", "lz4", "lzma", "zip", "jar", "war", "ear", "whl", "egg",
    "deb", "rpm", "apk", "7z", "rar", "png", "jpg", "jpeg", "gif", "bmp", "ico", "webp", "tif",
    "tiff", "svgz", "mp3", "mp4", "ogg", "wav", "flac", "avi", "mkv", "mov", "woff", "woff2",
    "ttf", "otf", "eot", "pyc", "pyo", "class", "o", "a", "so", "dll", "exe", "dylib", "mo", "gmo",
    "db", "sqlite", "pdf",
];

/// What the path says about a file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathClass<'a> {
    pub path: &'a str,
    /// The file name.
    pub base: &'a str,
    /// Documentation: prose where example credentials live (`*.md`, `usr/share/doc/…`).
    pub docs: bool,
    /// Configuration, environment and shell files, where `key=value` assignments are
    /// settings rather than code.
    pub config: bool,
    /// Inside an installed third-party package (`node_modules/`, `site-packages/`,
    /// `dist-packages/`, `vendor/`, Go's module cache, a Cargo registry, gems): published
    /// files, whose assignments are the package author's fixtures and defaults, already
    /// public on the registry. Only the vendor-format rules read these.
    pub vendored: bool,
}

/// Extensions of configuration-like files (assignments are settings).
const CONFIG_EXT: &[&str] = &[
    "env",
    "conf",
    "cfg",
    "cnf",
    "ini",
    "properties",
    "yaml",
    "yml",
    "toml",
    "json",
    "tf",
    "tfvars",
    "hcl",
    "sh",
    "bash",
    "zsh",
    "ksh",
];

/// File names of configuration-like files without (or with another) extension.
const CONFIG_NAMES: &[&str] = &[
    ".env",
    "config",
    "credentials",
    ".npmrc",
    ".pypirc",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".git-credentials",
    ".s3cfg",
    ".boto",
    ".my.cnf",
    ".bashrc",
    ".profile",
    ".zshrc",
    "dockerfile",
    "containerfile",
];

const DOC_EXT: &[&str] = &["md", "markdown", "rst", "adoc", "asciidoc", "html", "htm"];

/// Directories of installed third-party packages (matched as whole path components).
const VENDOR_DIRS: &[&str] = &[
    "node_modules/",
    "site-packages/",
    "dist-packages/",
    "vendor/",
    "go/pkg/mod/",
    ".cargo/registry/",
    "gems/",
    "bower_components/",
];

const DOC_DIRS: &[&str] = &[
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/help/",
];

impl<'a> PathClass<'a> {
    pub(crate) fn of(path: &'a str) -> Self {
        let path = path.trim_start_matches('/');
        let base = path.rsplit('/').next().unwrap_or(path);
        let ext = extension(base);
        let lower_base = base.to_ascii_lowercase();
        let docs = DOC_DIRS.iter().any(|d| path.starts_with(d))
            || ext.is_some_and(|e| DOC_EXT.iter().any(|d| e.eq_ignore_ascii_case(d)))
            || [
                "readme",
                "changelog",
                "changes",
                "news",
                "license",
                "copying",
                "authors",
            ]
            .iter()
            .any(|p| lower_base.starts_with(p));
        let config = ext.is_some_and(|e| CONFIG_EXT.iter().any(|c| e.eq_ignore_ascii_case(c)))
            || CONFIG_NAMES.contains(&lower_base.as_str())
            || lower_base.starts_with(".env.")
            || lower_base.starts_with("docker-compose");
        let vendored = VENDOR_DIRS.iter().any(|d| {
            path.match_indices(d)
                .any(|(i, _)| i == 0 || path.as_bytes()[i - 1] == b'/')
        });
        PathClass {
            path,
            base,
            docs,
            config,
            vendored,
        }
    }

    /// The class `scan_value` uses for an image config value: like a `.env` file.
    pub(crate) fn config_value(origin: &'a str) -> Self {
        PathClass {
            path: origin,
            base: origin,
            docs: false,
            config: true,
            vendored: false,
        }
    }
}

fn extension(base: &str) -> Option<&str> {
    let dot = base.rfind('.')?;
    (dot > 0).then(|| &base[dot + 1..])
}

/// Whether the walk should read this file for the scanner at all.
pub(crate) fn wanted(path: &str, size: u64) -> bool {
    if size == 0 || size > MAX_FILE_SIZE {
        return false;
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    !extension(base).is_some_and(|e| SKIP_EXT.iter().any(|s| e.eq_ignore_ascii_case(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        for (path, docs, config, vendored) in [
            ("/app/.env", false, true, false),
            ("app/.env.production", false, true, false),
            ("/root/.aws/credentials", false, true, false),
            ("/app/config/settings.yaml", false, true, false),
            ("/app/README.md", true, false, false),
            ("/usr/share/doc/x/examples/a.conf", true, true, false),
            ("/usr/lib/python3/x.py", false, false, false),
            ("/tmp/build-token.txt", false, false, false),
            ("/root/.kube/config", false, true, false),
            ("/app/node_modules/debug/.coveralls.yml", false, true, true),
            (
                "/opt/venv/lib/python3.11/site-packages/a/b.json",
                false,
                true,
                true,
            ),
            ("/app/myvendor/x.yml", false, true, false),
        ] {
            let c = PathClass::of(path);
            assert_eq!(
                (c.docs, c.config, c.vendored),
                (docs, config, vendored),
                "{path}"
            );
        }
    }

    #[test]
    fn wants() {
        assert!(wanted("/app/.env", 10));
        assert!(!wanted("/app/.env", 0));
        assert!(!wanted("/big", 2 << 30));
        assert!(!wanted("/usr/lib/x.so", 100));
        assert!(!wanted("/a/logo.PNG", 100));
        assert!(wanted("/usr/bin/tool", 100));
    }
}
