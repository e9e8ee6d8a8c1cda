//! Package URLs, built in one place so every analyzer agrees on the conventions
//! (<https://github.com/package-url/purl-spec/blob/master/PURL-TYPES.rst>):
//!
//! - `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`
//! - `pkg:apk/alpine/musl@1.1.24-r2?arch=x86_64&distro=3.11.5`
//! - `pkg:rpm/centos/bash@4.4.19-10.el8?arch=x86_64&distro=centos-8.2.2004`
//!
//! The epoch of deb and rpm versions goes to the `epoch` qualifier (as the spec's rpm
//! type defines and common SBOM tools do for deb too), so the purl version is the plain
//! `version-release`.

use hull_model::{Distro, Ecosystem, Package, Purl};

/// Split `epoch:rest` when the prefix is a number (both dpkg and rpm spell it so).
pub fn split_epoch(version: &str) -> (Option<&str>, &str) {
    match version.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(e), rest)
        }
        _ => (None, version),
    }
}

/// The purl of an OS package. `namespace` defaults to the ecosystem's usual vendor.
pub fn os_package(
    eco: Ecosystem,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&str>,
) -> Purl {
    let ns = namespace.or(match eco {
        Ecosystem::Deb => Some("debian"),
        Ecosystem::Apk => Some("alpine"),
        _ => None,
    });
    let (epoch, ver) = match eco {
        Ecosystem::Deb | Ecosystem::Rpm => split_epoch(version),
        _ => (None, version),
    };
    let mut q: Vec<(&str, &str)> = Vec::with_capacity(3);
    if let Some(a) = arch {
        q.push(("arch", a));
    }
    if let Some(e) = epoch.filter(|e| *e != "0") {
        q.push(("epoch", e));
    }
    if let Some(d) = distro {
        q.push(("distro", d));
    }
    Purl::new(eco.purl_type(), ns, name, Some(ver), &q)
}

/// The `distro` qualifier for an OS package of `eco` on `distro`.
pub fn distro_qualifier(eco: Ecosystem, distro: &Distro) -> Option<String> {
    let version = if distro.version_id.is_empty() {
        distro.codename.clone()?
    } else {
        distro.version_id.clone()
    };
    Some(match eco {
        // Alpine's convention (and secdb's branch naming) uses the bare release.
        Ecosystem::Apk => version,
        _ => format!("{}-{}", distro.id, version),
    })
}

/// Final purl of any package. OS packages take namespace and `distro` from the image's
/// distribution; language packages keep the purl their analyzer built.
pub fn for_package(pkg: &Package, distro: Option<&Distro>) -> Purl {
    if !pkg.ecosystem.is_os() {
        return pkg.purl.clone();
    }
    let ns = distro.map(|d| d.id.as_str()).filter(|s| !s.is_empty());
    let q = distro.and_then(|d| distro_qualifier(pkg.ecosystem, d));
    os_package(
        pkg.ecosystem,
        ns,
        &pkg.name,
        &pkg.version,
        pkg.arch.as_deref(),
        q.as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hull_model::ImagePath;

    fn distro(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: v.into(),
            path: ImagePath::new("etc/os-release").unwrap(),
            ..Distro::default()
        }
    }

    #[test]
    fn os_purls() {
        let d = distro("debian", "12");
        let q = distro_qualifier(Ecosystem::Deb, &d).unwrap();
        assert_eq!(
            os_package(
                Ecosystem::Deb,
                Some("debian"),
                "openssl",
                "3.0.11-1~deb12u2",
                Some("amd64"),
                Some(&q)
            )
            .as_str(),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        let a = distro("alpine", "3.11.5");
        let q = distro_qualifier(Ecosystem::Apk, &a).unwrap();
        assert_eq!(
            os_package(
                Ecosystem::Apk,
                Some("alpine"),
                "musl",
                "1.1.24-r2",
                Some("x86_64"),
                Some(&q)
            )
            .as_str(),
            "pkg:apk/alpine/musl@1.1.24-r2?arch=x86_64&distro=3.11.5"
        );
        let c = distro("centos", "8.2.2004");
        let q = distro_qualifier(Ecosystem::Rpm, &c).unwrap();
        assert_eq!(
            os_package(
                Ecosystem::Rpm,
                Some("centos"),
                "bash",
                "4.4.19-10.el8",
                Some("x86_64"),
                Some(&q)
            )
            .as_str(),
            "pkg:rpm/centos/bash@4.4.19-10.el8?arch=x86_64&distro=centos-8.2.2004"
        );
        assert_eq!(
            os_package(Ecosystem::Rpm, Some("centos"), "perl-Scalar-List-Utils", "3:1.49-2.el8", Some("x86_64"), Some(&q)).as_str(),
            "pkg:rpm/centos/perl-Scalar-List-Utils@1.49-2.el8?arch=x86_64&distro=centos-8.2.2004&epoch=3"
        );
        assert_eq!(split_epoch("a:b"), (None, "a:b"));
        assert_eq!(split_epoch("1:2.3"), (Some("1"), "2.3"));
    }
}
