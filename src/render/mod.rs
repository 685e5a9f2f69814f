//! Rendering: the view model through the embedded Tera templates into files in memory.

pub mod filters;
mod layout;
mod lint;
mod pieces;
pub mod templates;

use std::borrow::Borrow;

use rayon::prelude::*;
use tera::{Kwargs, State, Tera, TeraResult, Value};

pub use templates::Templates;

use crate::context::ClusterView;
use crate::error::Error;
use crate::output::reuse::{Reuse, digest_of};
use crate::paths;

/// What a file was rendered for, to name it in errors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Target {
    Cluster,
    Host(String),
    Service(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cluster => write!(f, "the cluster"),
            Self::Host(name) => write!(f, "host `{name}`"),
            Self::Service(name) => write!(f, "service `{name}`"),
        }
    }
}

/// One output file, laid out and ready to check.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    /// Path under the output directory, with `/` separators.
    pub path: String,
    pub contents: String,
    /// The template it came from: its embedded name, or the path of the user's override.
    pub template: String,
    /// Whether that template is the user's: its output may use what gen's own
    /// templates never write (any Nomad field, say), so it is only parsed.
    pub overridden: bool,
    pub target: Target,
    /// Digest of what fed its template: this build, the cluster view, the
    /// user's templates, the header and the path (see `output::reuse`).
    pub input: String,
    /// Digest of what made it: this build, the path, the header and the
    /// template output.
    pub source: String,
    /// `sha256:<hex>` of the file, when it was read back from the output
    /// directory, where an earlier render wrote it from the same source:
    /// already laid out, checked and hashed.
    pub reused: Option<String>,
}

/// Renders every output file of the cluster, in path order.
///
/// The view model is turned into a template value once, when some file's
/// template must render; each file's context shares it (values are
/// reference-counted) and adds its host or service, so a render costs time in
/// proportion to the files it writes. Files render in parallel; the first
/// template error in path order is the one reported, else the first layout error.
/// `inventory_name` appears in each file's header comment.
pub fn render(
    cluster: &ClusterView,
    inventory_name: &str,
    templates: &Templates,
) -> Result<Vec<RenderedFile>, Error> {
    render_reusing(cluster, inventory_name, templates, &Reuse::none())
}

/// [`render`], reading back the files `reuse` holds instead of laying them out.
/// The view is dropped as soon as every template has rendered, before the files
/// are laid out: given by value, it is freed then.
pub fn render_reusing(
    cluster: impl Borrow<ClusterView>,
    inventory_name: &str,
    templates: &Templates,
    reuse: &Reuse,
) -> Result<Vec<RenderedFile>, Error> {
    let header = header_for(inventory_name);
    let steps = render_templates(cluster, &header, templates, reuse)?;
    crate::memory::give_back_freed();
    lay_out_all(steps, &header, templates, reuse)
}

/// Every file's template rendered, or the file read back where nothing that
/// feeds its template changed, in path order. Templates render before any file
/// is laid out: the cluster's template value, which holds all of it, is freed
/// before the layout of large files needs memory. A view given by value is
/// freed as soon as that value is made.
fn render_templates(
    cluster: impl Borrow<ClusterView>,
    header: &str,
    templates: &Templates,
    reuse: &Reuse,
) -> Result<Vec<Step>, Error> {
    let view: &ClusterView = cluster.borrow();
    // With nothing to read back every file renders: the digest, which only
    // records what made them, is found while the templates' value is made.
    let (cluster_digest, shared) = if reuse.is_empty() {
        let (digest, shared) = rayon::join(|| digest_of(view), || shared_value(view, templates));
        (digest, Some(shared))
    } else {
        (digest_of(view), None)
    };
    let cluster_digest =
        cluster_digest.map_err(|source| unusable_view("every template", source.to_string()))?;
    let mut jobs = plan(view);
    jobs.sort_by(|a, b| a.path.cmp(&b.path));
    let found: Vec<Found> = jobs
        .into_par_iter()
        .map(|job| {
            let input = Reuse::input(
                &job.path,
                &cluster_digest,
                templates.overrides_digest(),
                header,
            );
            match unchanged(&job, &input, templates, reuse) {
                Some(file) => Found::Done(file),
                None => Found::Pending { job, input },
            }
        })
        .collect();
    if found.iter().all(|found| matches!(found, Found::Done(_))) {
        return Ok(found
            .into_iter()
            .filter_map(|found| match found {
                Found::Done(file) => Some(Step::Done(file)),
                Found::Pending { .. } => None,
            })
            .collect());
    }
    // Some file needs its template: the engine and the cluster's value.
    let shared = shared.unwrap_or_else(|| shared_value(view, templates))?;
    drop(cluster);
    found
        .into_par_iter()
        .map(|found| match found {
            Found::Pending { job, input } => {
                let raw = render_raw(&job, &shared, templates)?;
                Ok(Step::Rendered { job, input, raw })
            }
            Found::Done(file) => Ok(Step::Done(file)),
        })
        .collect::<Vec<Result<Step, Error>>>()
        .into_iter()
        .collect()
}

/// The cluster's template value, made while the templates compile.
fn shared_value(view: &ClusterView, templates: &Templates) -> Result<Value, Error> {
    let (shared, engine) = rayon::join(|| cluster_value(view), || templates.engine().map(drop));
    engine?;
    shared.map_err(|message| unusable_view("every template", message))
}

/// Every file laid out (or read back) from its template's output, in order.
fn lay_out_all(
    steps: Vec<Step>,
    header: &str,
    templates: &Templates,
    reuse: &Reuse,
) -> Result<Vec<RenderedFile>, Error> {
    steps
        .into_par_iter()
        .map(|step| match step {
            Step::Done(file) => Ok(file),
            Step::Rendered { job, input, raw } => {
                finish(job, input, &raw, header, templates, reuse)
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// A file read back, or one whose template is still to render.
enum Found {
    Done(RenderedFile),
    Pending { job: Job, input: String },
}

/// A file read back, or its template's output, still to be laid out.
enum Step {
    Done(RenderedFile),
    Rendered {
        job: Job,
        input: String,
        raw: String,
    },
}

/// The file `job` makes, read back from the output directory, when what feeds
/// its template, `input`, made the file there.
fn unchanged(job: &Job, input: &str, templates: &Templates, reuse: &Reuse) -> Option<RenderedFile> {
    let (contents, produced) = reuse.unchanged(&job.path, input)?;
    Some(RenderedFile {
        path: job.path.clone(),
        contents,
        template: templates.origin(job.template),
        overridden: templates.override_of(job.template).is_some(),
        target: job.target.clone(),
        input: input.to_owned(),
        source: produced.source.clone(),
        reused: Some(produced.contents.clone()),
    })
}

/// The cluster-wide file at `path` alone, rendered by the embedded template of
/// the same name (or its override), as [`render`] would render it.
pub fn render_cluster_file(
    cluster: &ClusterView,
    path: &'static str,
    inventory_name: &str,
    templates: &Templates,
) -> Result<RenderedFile, Error> {
    let shared = cluster_value(cluster).map_err(|message| unusable_view(path, message))?;
    let job = Job {
        path: path.to_owned(),
        template: path,
        target: Target::Cluster,
        view: View::Cluster,
    };
    let raw = render_raw(&job, &shared, templates)?;
    finish(
        job,
        String::new(),
        &raw,
        &header_for(inventory_name),
        templates,
        &Reuse::none(),
    )
}

/// The cluster view as a template value, shared by the contexts of every file.
fn cluster_value(cluster: &ClusterView) -> Result<Value, String> {
    Value::try_from_serializable(cluster).map_err(|source| source.to_string())
}

/// The cluster view could not be made into what `templates` read.
fn unusable_view(templates: &str, message: String) -> Error {
    Error::Template {
        template: templates.to_owned(),
        target: Target::Cluster.to_string(),
        message,
    }
}

/// The output of `job`'s template, with the shared cluster and its own host or service.
fn render_raw(job: &Job, cluster: &Value, templates: &Templates) -> Result<String, Error> {
    let failed = |message: String| Error::Template {
        template: templates.origin(job.template),
        target: job.target.to_string(),
        message,
    };
    let mut context = tera::Context::new();
    context.insert_value("cluster", cluster.clone());
    // A host's or a service's value is the cluster's own entry for it, shared.
    let own = match job.view {
        View::Cluster => None,
        View::Host(index) => Some(("host", format!("hosts.{index}"))),
        View::Service(index) => Some(("service", format!("services.{index}"))),
    };
    if let Some((name, path)) = own {
        let value = cluster
            .get_from_path(&path)
            .ok_or_else(|| failed(format!("the cluster has no `{path}`")))?;
        context.insert_value(name, value.clone());
    }
    let mut raw = templates
        .engine()?
        .render(job.template, &context)
        .map_err(|source| failed(source.to_string()))?;
    // Held until laid out, with every other file's: not in a buffer sized for any template.
    raw.shrink_to_fit();
    Ok(raw)
}

/// The file `job` makes of its template's output `raw`: read back where an
/// earlier render laid out the same output, else laid out.
fn finish(
    job: Job,
    input: String,
    raw: &str,
    header: &str,
    templates: &Templates,
    reuse: &Reuse,
) -> Result<RenderedFile, Error> {
    let template = templates.origin(job.template);
    let overridden = templates.override_of(job.template).is_some();
    let source = Reuse::source(&job.path, overridden, header, raw);
    let (contents, reused) = if let Some((contents, digest)) = reuse.contents(&job.path, &source) {
        (contents, Some(digest))
    } else {
        let mut contents =
            layout::lay_out(&job.path, header, raw).map_err(|message| Error::InvalidOutput {
                path: job.path.clone(),
                template: template.clone(),
                target: job.target.to_string(),
                message,
                excerpt: format!("{header}{raw}"),
            })?;
        // Held until written, with every other file's.
        contents.shrink_to_fit();
        (contents, None)
    };
    Ok(RenderedFile {
        path: job.path,
        contents,
        overridden,
        template,
        target: job.target,
        input,
        source,
        reused,
    })
}

/// What a file is rendered from besides the cluster: nothing, or one of its
/// hosts or services, by index.
enum View {
    Cluster,
    Host(usize),
    Service(usize),
}

struct Job {
    path: String,
    template: &'static str,
    target: Target,
    view: View,
}

/// Which template makes which file.
fn plan(cluster: &ClusterView) -> Vec<Job> {
    let for_cluster = |path: &str, template: &'static str| Job {
        path: path.to_owned(),
        template,
        target: Target::Cluster,
        view: View::Cluster,
    };
    let mut jobs: Vec<Job> = paths::CLUSTER_FILES
        .iter()
        .chain([&paths::MINIMAL_MODULE])
        .map(|path| for_cluster(path, path))
        .collect();
    if cluster.sops.is_some() {
        jobs.push(for_cluster(paths::SOPS_RULES, "sops.yaml"));
    }
    if cluster.kopia.is_some() {
        jobs.push(for_cluster(paths::BACKUP_MODULE, paths::BACKUP_MODULE));
    }
    if cluster.nfs.is_some() {
        jobs.push(for_cluster(paths::NFS_SCRIPT, paths::NFS_SCRIPT));
        jobs.push(for_cluster(paths::NFS_RUNBOOK, paths::NFS_RUNBOOK));
    }
    for module in &cluster.role_modules {
        if let Some(template) = templates::named(module) {
            jobs.push(for_cluster(module, template));
        }
    }
    for (index, host) in cluster.hosts.iter().enumerate() {
        for (path, template) in [
            (paths::host_file(&host.name), "hosts/default.nix"),
            (paths::firewall_file(&host.name), "hosts/firewall.nft"),
        ] {
            jobs.push(Job {
                path,
                template,
                target: Target::Host(host.name.clone()),
                view: View::Host(index),
            });
        }
    }
    jobs.extend(
        cluster
            .services
            .iter()
            .enumerate()
            .map(|(index, service)| Job {
                path: paths::job_file(&service.name),
                template: "services/job.hcl",
                target: Target::Service(service.name.clone()),
                view: View::Service(index),
            }),
    );
    jobs
}

/// The comment every generated file opens with; `#` starts a comment in Nix and HCL alike.
fn header_for(inventory_name: &str) -> String {
    format!(
        "# Generated by gen from {inventory_name}; do not edit by hand.\n\
         # Change the inventory and run `gen render` instead.\n"
    )
}

/// A value as a literal of the output's language, or why it has none.
type ValueFilter = fn(&serde_json::Value) -> Result<String, String>;
/// A string as a name or path of the output's language, or why it cannot be one.
type TextFilter = fn(&str) -> Result<String, String>;

/// Filters that write any value as a literal of the output's language.
const VALUE_FILTERS: [(&str, ValueFilter); 7] = [
    ("nix", filters::nix),
    ("yaml", |value| Ok(filters::yaml(value))),
    ("hcl", |value| Ok(filters::hcl(value))),
    ("markdown", filters::markdown),
    ("nft", filters::nft),
    ("dot", filters::dot),
    ("mermaid", filters::mermaid),
];

/// Filters that write a string as a name or path of the output's language.
const TEXT_FILTERS: [(&str, TextFilter); 7] = [
    ("nix_attrpath", filters::nix_attr_path),
    ("nix_attr", |name| Ok(filters::nix_attr_name(name))),
    ("nix_path", filters::nix_path),
    ("hcl_ident", filters::hcl_ident),
    ("markdown_line", filters::markdown_line),
    ("nft_ident", filters::nft_ident),
    ("mermaid_id", filters::mermaid_id),
];

/// The names of the filters that turn a value into a literal of the output's
/// language: the only ways a value may reach the output.
pub fn serialising_filters() -> impl Iterator<Item = &'static str> {
    VALUE_FILTERS
        .iter()
        .map(|(name, _)| *name)
        .chain(TEXT_FILTERS.iter().map(|(name, _)| *name))
}

/// A Tera engine with the serialising filters and no templates yet.
fn engine() -> Tera {
    let mut tera = Tera::default();
    tera.autoescape_on(Vec::<&str>::new());
    for (name, filter) in VALUE_FILTERS {
        tera.register_filter(
            name,
            move |value: &Value, _: Kwargs, _: &State| -> TeraResult<Value> {
                filter(&to_json(value)?)
                    .map(|literal| Value::safe_string(&literal))
                    .map_err(tera::Error::message)
            },
        );
    }
    for (name, filter) in TEXT_FILTERS {
        tera.register_filter(
            name,
            move |text: &str, _: Kwargs, _: &State| -> TeraResult<Value> {
                filter(text)
                    .map(|literal| Value::safe_string(&literal))
                    .map_err(tera::Error::message)
            },
        );
    }
    tera
}

/// The value as JSON. An undefined value (a misspelt variable or field) is an
/// error, never `null`: a typo must not become a setting.
fn to_json(value: &Value) -> TeraResult<serde_json::Value> {
    if value.is_undefined() {
        return Err(tera::Error::message(
            "the value is undefined: the context has no such variable or field (`gen context` prints it)",
        ));
    }
    serde_json::to_value(value).map_err(|source| tera::Error::message(source.to_string()))
}
