//! flakegen: one YAML inventory of a NixOS cluster in, a deployable flake and its
//! Nomad jobs out.
//!
//! The stages run in one direction, each in its own module:
//! [`load`] → [`validate`] → [`model`] → [`context`] → [`render`] → [`check`] → [`output`].
//! [`commands`] puts them together for the `gen` binary.

pub mod adopt;
pub mod check;
pub mod cli;
pub mod commands;
pub mod context;
pub mod diagnostic;
pub mod duration;
pub mod error;
pub mod explain;
pub mod failover;
pub mod init;
pub mod inventory;
pub mod jobspec;
mod keypath;
pub mod load;
pub mod memory;
pub mod model;
pub mod output;
pub mod paths;
pub mod render;
pub mod report;
pub mod rollout;
pub mod sops;
pub mod source;
mod suggest;
pub mod synthetic;
pub mod validate;

use std::path::{Path, PathBuf};

use crate::context::ClusterView;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::output::reuse::Reuse;
use crate::render::{RenderedFile, Templates};
use crate::source::Source;

/// A loaded, valid inventory: its text, its resolved model and view model, and
/// the warnings it raised.
pub struct Prepared {
    pub source: Source,
    pub inventory: inventory::Inventory,
    pub model: model::Cluster,
    pub cluster: ClusterView,
    pub warnings: Vec<Diagnostic>,
    /// The inventory as generic values, as the load read them.
    pub values: serde_json::Value,
}

impl Prepared {
    /// The view alone, the rest freed: a partial move (`let Prepared { cluster,
    /// .. } = prepared`) would keep the inventory, the model and the generic
    /// values alive to the end of the caller, through rendering and layout.
    /// They are freed on another thread, while the caller goes on.
    pub fn into_view(self) -> ClusterView {
        let Self {
            source,
            inventory,
            model,
            cluster,
            warnings,
            values,
        } = self;
        rayon::spawn(move || drop((source, inventory, model, warnings, values)));
        cluster
    }
}

/// Loads, validates and resolves an inventory into the view model templates read.
pub fn prepare(path: &Path) -> Result<Prepared, Error> {
    prepare_within(path, load::MAX_BYTES)
}

/// [`prepare`], reading no inventory larger than `max_bytes`.
pub fn prepare_within(path: &Path, max_bytes: usize) -> Result<Prepared, Error> {
    prepare_loaded(load::load_quickly(path, max_bytes)?)
}

/// [`prepare`] for inventory bytes that are already in memory.
pub fn prepare_bytes(name: &str, bytes: &[u8]) -> Result<Prepared, Error> {
    prepare_loaded(load::from_bytes(name.to_owned(), bytes)?)
}

/// [`prepare`] for an inventory already loaded.
pub(crate) fn prepare_loaded(loaded: load::Loaded) -> Result<Prepared, Error> {
    let load::Loaded {
        source,
        mut inventory,
        places,
        problems,
        unchecked,
        located,
        values,
    } = loaded;
    // Each host as if written out in full: every later stage reads it so.
    inventory.origins = inventory::groups::apply(&mut inventory);
    let mut found = problems;
    found.extend(
        validate::validate(&inventory, &source.text, &places)
            .into_iter()
            .filter(|problem| !unchecked.covers(problem, &source.text)),
    );
    if !located && !found.is_empty() {
        // Diagnostics point into the text: find the places, and judge again.
        return prepare_loaded(load::from_source(source)?);
    }
    found.sort_by_key(|problem| problem.at.map_or(usize::MAX, |span| span.offset()));
    let (errors, warnings): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|problem| problem.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(Error::Invalid {
            source_text: source,
            problems: errors.into_iter().chain(warnings).collect(),
        });
    }
    let model = model::resolve(&inventory);
    let cluster = context::build(&model);
    Ok(Prepared {
        source,
        inventory,
        model,
        cluster,
        warnings,
        // Only a load of a damaged inventory has none, and it is invalid.
        values: values.unwrap_or_default(),
    })
}

/// Every output file of an inventory, rendered with the embedded templates and
/// checked, not yet written.
pub fn render_inventory(path: &Path) -> Result<Vec<RenderedFile>, Error> {
    let prepared = prepare(path)?;
    render_cluster(path, &prepared.cluster, &Templates::load(None)?)
}

/// Every output file of the view of the inventory at `path`, rendered and checked.
pub fn render_cluster(
    path: &Path,
    cluster: &ClusterView,
    templates: &Templates,
) -> Result<Vec<RenderedFile>, Error> {
    render_cluster_reusing(path, cluster, templates, &Reuse::none())
}

/// [`render_cluster`], reading back what `reuse` holds instead of laying it
/// out; a view given by value is freed before the files are laid out.
pub fn render_cluster_reusing(
    path: &Path,
    cluster: impl std::borrow::Borrow<ClusterView>,
    templates: &Templates,
    reuse: &Reuse,
) -> Result<Vec<RenderedFile>, Error> {
    let files = render::render_reusing(cluster, &inventory_name(path), templates, reuse)?;
    check::check(&files)?;
    Ok(files)
}

/// The inventory's file name, as each file's header names it.
pub(crate) fn inventory_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Where template overrides are read from, and `gen templates eject` writes
/// to: `--templates`, else the inventory's `cluster.templates`, else `templates/`
/// beside the inventory. Every command reads it from here, so an ejected
/// template is used by the next `render`, `check` and `diff` alike.
/// `configured` is the inventory's `cluster.templates`.
pub fn template_dir(
    flag: Option<&Path>,
    inventory_path: &Path,
    configured: Option<&str>,
) -> PathBuf {
    if let Some(flag) = flag {
        return flag.to_owned();
    }
    let base = inventory_path.parent().unwrap_or(Path::new(""));
    base.join(configured.unwrap_or(DEFAULT_TEMPLATE_DIR))
}

/// The override directory templates are read from: [`template_dir`] when it was
/// named (by flag or inventory) or exists, so a default that is absent is no error.
pub fn template_overrides(
    flag: Option<&Path>,
    inventory_path: &Path,
    configured: Option<&str>,
) -> Option<PathBuf> {
    let dir = template_dir(flag, inventory_path, configured);
    let named = flag.is_some() || configured.is_some();
    (named || dir.is_dir()).then_some(dir)
}

/// The override directory when neither `--templates` nor `cluster.templates` names one.
pub const DEFAULT_TEMPLATE_DIR: &str = "templates";
