use hull_model::Ecosystem;

/// A version numbering scheme: how one ecosystem writes and orders its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// Debian/Ubuntu `[epoch:]upstream[-revision]` (deb-version(7)).
    Dpkg,
    /// RPM `[epoch:]version-release` (rpmvercmp).
    Rpm,
    /// Alpine apk-tools versions.
    Apk,
    /// Strict SemVer 2.0.0 (cargo / crates.io).
    Semver,
    /// node-semver (npm): loose semver plus npm's range grammar.
    Npm,
    /// Python PEP 440.
    Pep440,
    /// Maven `ComparableVersion`.
    Maven,
    /// Go modules and toolchains (`v1.2.3`, pseudo-versions, `go1.21rc2`).
    Go,
    /// Ruby `Gem::Version`.
    RubyGems,
    /// Composer (Packagist) versions.
    Composer,
    /// NuGet versions.
    NuGet,
    /// Anything else: digit and letter runs, compared naturally.
    Generic,
}

impl Scheme {
    pub const ALL: [Scheme; 12] = [
        Scheme::Dpkg,
        Scheme::Rpm,
        Scheme::Apk,
        Scheme::Semver,
        Scheme::Npm,
        Scheme::Pep440,
        Scheme::Maven,
        Scheme::Go,
        Scheme::RubyGems,
        Scheme::Composer,
        Scheme::NuGet,
        Scheme::Generic,
    ];

    /// The scheme an ecosystem's package versions follow.
    pub fn for_ecosystem(e: Ecosystem) -> Scheme {
        match e {
            Ecosystem::Deb => Scheme::Dpkg,
            Ecosystem::Apk => Scheme::Apk,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Pypi => Scheme::Pep440,
            Ecosystem::Npm => Scheme::Npm,
            Ecosystem::Cargo => Scheme::Semver,
            Ecosystem::Go => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
            Ecosystem::Rubygems => Scheme::RubyGems,
            Ecosystem::Composer => Scheme::Composer,
            Ecosystem::Nuget => Scheme::NuGet,
        }
    }

    /// The scheme of an OSV `affected[].package.ecosystem` string (`"PyPI"`,
    /// `"Debian:12"`, `"Alpine:v3.19"`, `"Red Hat:enterprise_linux:9::baseos"`, …).
    /// `None` for ecosystems hull has no rules for (their ranges cannot be evaluated).
    pub fn for_osv_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem).trim();
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine" | "Wolfi" | "Chainguard" => Scheme::Apk,
            "Red Hat" | "AlmaLinux" | "Rocky Linux" | "openSUSE" | "SUSE" | "Mageia"
            | "openEuler" => Scheme::Rpm,
            "PyPI" => Scheme::Pep440,
            "npm" => Scheme::Npm,
            "crates.io" => Scheme::Semver,
            "Go" => Scheme::Go,
            "Maven" => Scheme::Maven,
            "RubyGems" => Scheme::RubyGems,
            "Packagist" => Scheme::Composer,
            "NuGet" => Scheme::NuGet,
            _ => return None,
        })
    }

    /// Stable kebab-case name (used in messages, evidence and JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Semver => "semver",
            Scheme::Npm => "npm",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
            Scheme::Go => "go",
            Scheme::RubyGems => "rubygems",
            Scheme::Composer => "composer",
            Scheme::NuGet => "nuget",
            Scheme::Generic => "generic",
        }
    }
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scheme::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown version scheme `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_and_names() {
        for e in Ecosystem::ALL {
            let s = Scheme::for_ecosystem(e);
            if let Some(osv) = e.osv_name() {
                assert_eq!(Scheme::for_osv_ecosystem(osv), Some(s), "{osv}");
            }
        }
        assert_eq!(Scheme::for_osv_ecosystem("Debian:12"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::for_osv_ecosystem("Alpine:v3.19"), Some(Scheme::Apk));
        assert_eq!(
            Scheme::for_osv_ecosystem("Red Hat:enterprise_linux:9::baseos"),
            Some(Scheme::Rpm)
        );
        assert_eq!(Scheme::for_osv_ecosystem("Hex"), None);
        for s in Scheme::ALL {
            assert_eq!(s.as_str().parse::<Scheme>(), Ok(s));
        }
    }
}
