//! The templates: compiled into the binary, so an installed `gen` works anywhere,
//! and overlaid file by file by a user's template directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tera::Tera;

use crate::error::Error;
use crate::inventory::Role;
use crate::output::reuse::digest;
use crate::suggest;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// `(name, source)` of the embedded templates that are not role modules; the
/// name is the template's path under `templates/`.
const FIXED: &[(&str, &str)] = embedded![
    "flake.nix",
    "BOOTSTRAP.md",
    "common/global/default.nix",
    "common/global/backup.nix",
    "common/global/firewall.nix",
    "common/firewall-sets.nft",
    "common/global/nix.nix",
    "common/global/sops.nix",
    "common/global/users.nix",
    "common/minimal-node.nix",
    "common/nfs-services.sh",
    "docs/NFS_FAILOVER.md",
    "docs/CLUSTER.md",
    "docs/topology.mmd",
    "docs/topology.dot",
    "common/workstation-node.nix",
    "common/desktop-node.nix",
    "hosts/default.nix",
    "hosts/firewall.nft",
    "services/job.hcl",
    "sops.yaml",
];

/// `(name, source)` of every embedded template: the fixed ones, then each role's module.
pub fn embedded() -> impl Iterator<Item = (&'static str, &'static str)> {
    FIXED.iter().copied().chain(Role::all().map(|role| {
        let spec = role.spec();
        (spec.module, spec.source)
    }))
}

/// The embedded template called `name`, with a `'static` name.
pub fn named(name: &str) -> Option<&'static str> {
    embedded()
        .map(|(known, _)| known)
        .find(|known| *known == name)
}

/// The source of the embedded template called `name`.
pub fn source(name: &str) -> Option<&'static str> {
    embedded()
        .find(|(known, _)| *known == name)
        .map(|(_, source)| source)
}

/// The loaded templates, and which of them come from the user's directory.
pub struct Templates {
    /// Each template's name, its origin (its name, or the override's path) and text.
    sources: BTreeMap<&'static str, (String, String)>,
    overridden: BTreeMap<&'static str, PathBuf>,
    /// Files of the user's directory that are still the embedded template
    /// word for word (just ejected): no override until edited.
    unedited: BTreeMap<&'static str, PathBuf>,
    /// Digest of the user's templates, names and texts; the embedded ones are
    /// part of the build of gen.
    overrides_digest: String,
    /// Compiled when a file first needs its template: a render that reads
    /// every file back compiles none. A failure is kept as its origin and message.
    tera: OnceLock<Result<Tera, (String, String)>>,
}

impl Templates {
    /// The embedded templates, overlaid by the files of `overrides` that have
    /// an embedded template's name; the user's are linted, and all are
    /// compiled when first used ([`Templates::compiled`] compiles them now).
    pub fn load(overrides: Option<&Path>) -> Result<Self, Error> {
        let mut sources: BTreeMap<&'static str, (String, String)> = embedded()
            .map(|(name, source)| (name, (name.to_owned(), source.to_owned())))
            .collect();
        let (mut overridden, mut unedited) = (BTreeMap::new(), BTreeMap::new());
        if let Some(dir) = overrides {
            for (name, path) in override_files(dir)? {
                let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                    path: path.clone(),
                    source,
                })?;
                // gen's own text keeps gen's own checks (an override's jobs are only parsed).
                if source(name) == Some(text.as_str()) {
                    unedited.insert(name, path);
                    continue;
                }
                sources.insert(name, (path.display().to_string(), text));
                overridden.insert(name, path);
            }
        }
        // The embedded templates are gen's own, linted by its tests
        // (`every_embedded_template_passes_the_lint`); a user's are linted here.
        for name in overridden.keys() {
            let (origin, text) = &sources[name];
            super::lint::check(text).map_err(|message| Error::Template {
                template: origin.clone(),
                target: "every file it renders".to_owned(),
                message,
            })?;
        }
        let overrides_digest = digest(
            overridden
                .keys()
                .flat_map(|name| [name.as_bytes(), sources[name].1.as_bytes()]),
        );
        Ok(Self {
            sources,
            overridden,
            unedited,
            overrides_digest,
            tera: OnceLock::new(),
        })
    }

    /// [`Templates::load`], compiled now: for `gen validate`, which renders nothing.
    pub fn compiled(overrides: Option<&Path>) -> Result<Self, Error> {
        let templates = Self::load(overrides)?;
        templates.engine()?;
        Ok(templates)
    }

    /// The engine with every template, compiled on first use.
    pub(super) fn engine(&self) -> Result<&Tera, Error> {
        self.tera
            .get_or_init(|| compile(&self.sources))
            .as_ref()
            .map_err(|(origin, message)| Error::Template {
                template: origin.clone(),
                target: "every file it renders".to_owned(),
                message: message.clone(),
            })
    }

    /// How to name template `name` to a person: the override's path, or the embedded name.
    pub fn origin(&self, name: &str) -> String {
        self.overridden
            .iter()
            .find(|(known, _)| **known == name)
            .map_or_else(|| name.to_owned(), |(_, path)| path.display().to_string())
    }

    /// Digest of every template the user overrides, with its text: any of them
    /// may include another, so each file's output depends on them all.
    pub fn overrides_digest(&self) -> &str {
        &self.overrides_digest
    }

    /// The user file that overrides template `name`, if one does.
    pub fn override_of(&self, name: &str) -> Option<&Path> {
        self.overridden.get(name).map(PathBuf::as_path)
    }

    /// The user file that holds template `name` word for word, if one does:
    /// it is no override until edited.
    pub fn unedited_copy_of(&self, name: &str) -> Option<&Path> {
        self.unedited.get(name).map(PathBuf::as_path)
    }
}

/// Every template in one engine, at once: Tera resolves includes once every
/// template is in. A failure names the template Tera points at.
fn compile(sources: &BTreeMap<&'static str, (String, String)>) -> Result<Tera, (String, String)> {
    let mut tera = super::engine();
    tera.add_raw_templates(
        sources
            .iter()
            .map(|(name, (_, text))| (*name, text.as_str())),
    )
    .map_err(|source| {
        let message = source.to_string();
        // Tera's message points at `--> <name>:<line>:<column>`.
        let origin = sources
            .iter()
            .find(|(name, _)| message.contains(&format!("--> {name}:")))
            .or_else(|| sources.iter().find(|(name, _)| message.contains(**name)))
            .map_or_else(
                || "the templates".to_owned(),
                |(_, (origin, _))| origin.clone(),
            );
        (origin, message)
    })?;
    Ok(tera)
}

/// Files of an override directory, by the embedded template each replaces. A file
/// that replaces nothing is an error, so a misnamed override is never ignored.
fn override_files(dir: &Path) -> Result<Vec<(&'static str, PathBuf)>, Error> {
    let names: Vec<&str> = embedded().map(|(name, _)| name).collect();
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|error| Error::Read {
            path: dir.to_owned(),
            source: error.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let relative = relative.to_string_lossy().replace('\\', "/");
        let Some(name) = named(&relative) else {
            return Err(Error::UnknownTemplate {
                name: relative.clone(),
                hint: suggest::hint(&relative, &names),
            });
        };
        files.push((name, entry.path().to_owned()));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    /// What `Templates::load` checks of a user's template holds for gen's own.
    #[test]
    fn every_embedded_template_passes_the_lint() {
        for (name, source) in super::embedded() {
            assert_eq!(super::super::lint::check(source), Ok(()), "{name}");
        }
    }
}
