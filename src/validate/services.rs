//! Services: images, ports, data, placement, resources, checks and environment.

use std::collections::BTreeMap;

use super::{Rules, consul_tags, is_env_name, key, value};
use crate::diagnostic::Code;
use crate::duration;
use crate::inventory::{Check, CheckType, Expose, NFS_PRIMARY, Placement, Port, Role, Service};
use crate::suggest;

/// The Nomad workers, counted once: how many, which, and how many have each role.
struct Workers<'a> {
    names: std::collections::BTreeSet<&'a str>,
    by_role: BTreeMap<Role, usize>,
    by_group: BTreeMap<&'a str, usize>,
}

impl<'a> Workers<'a> {
    fn of(rules: &Rules<'a>) -> Self {
        let mut workers = Workers {
            names: std::collections::BTreeSet::new(),
            by_role: BTreeMap::new(),
            by_group: BTreeMap::new(),
        };
        for (name, host) in rules.workers() {
            workers.names.insert(name);
            for group in rules
                .inventory
                .origins
                .groups_of
                .get(name)
                .into_iter()
                .flatten()
            {
                *workers.by_group.entry(group.as_str()).or_default() += 1;
            }
            for role in &host.roles {
                *workers.by_role.entry(role.value).or_default() += 1;
            }
        }
        workers
    }

    fn count(&self) -> usize {
        self.names.len()
    }

    /// How many workers a placement matches.
    fn matching(&self, placement: &Placement, primary: Option<&str>) -> usize {
        match placement {
            Placement::NfsPrimary => {
                primary.map_or(0, |primary| usize::from(self.names.contains(primary)))
            }
            Placement::Host(wanted) => usize::from(self.names.contains(wanted.as_str())),
            Placement::Role(role) => self.by_role.get(role).copied().unwrap_or(0),
            Placement::Group(group) => self.by_group.get(group.as_str()).copied().unwrap_or(0),
        }
    }
}

pub(super) fn check(rules: &mut Rules) {
    let inventory = rules.inventory;
    let workers = Workers::of(rules);
    let mut placement_hints = BTreeMap::new();
    let mut static_ports: BTreeMap<u16, (String, String)> = BTreeMap::new();
    for (name, service) in &inventory.services {
        let value = &service.value;
        image(rules, name, value);
        ports(rules, name, value, &mut static_ports);
        if value.count == 0 || value.resources.cpu == 0 || value.resources.memory == 0 {
            rules.flag(
                Code::ServiceZeroResources,
                key(&["services", name], "nothing to run"),
                format!("Service `{name}` asks for zero instances, CPU or memory"),
            );
        }
        data(rules, name, value);
        memory(rules, name, value);
        placement(rules, name, value, &workers, &mut placement_hints);
        count_fits_workers(rules, name, value, &workers);
        health_check(rules, name, value);
        environment(rules, name, value);
        container_access(rules, name, value);
        job_kind(rules, name, value);
        tags(rules, name, value);
    }
    if let (0, Some(name)) = (workers.count(), inventory.services.keys().next()) {
        rules.flag(
            Code::ServiceNoWorkers,
            key(&["services", name], "no host can run this"),
            "There are services but no Nomad worker to run them",
        );
    }
}

fn image(rules: &mut Rules, name: &str, service: &Service) {
    if !is_image_reference(&service.image) {
        rules.flag(
            Code::ServiceInvalidImage,
            value(&["services", name, "image"], "invalid image"),
            format!("`{}` is not a container image reference", service.image),
        );
    }
}

/// Nomad's floor is 10 MB; a value in the millions was meant as bytes.
fn memory(rules: &mut Rules, name: &str, service: &Service) {
    let memory = service.resources.memory;
    let path = ["services", name, "resources", "memory"];
    if (1..10).contains(&memory) {
        rules.flag(
            Code::ServiceTooLittleMemory,
            value(&path, "below 10 MB"),
            format!("Service `{name}` reserves {memory} MB of memory"),
        );
    } else if memory >= 1_000_000 {
        rules.flag(
            Code::ServiceMemoryInBytes,
            value(&path, "in MB, not bytes"),
            format!("Service `{name}` reserves {memory} MB of memory, more than a terabyte"),
        );
    }
}

fn data(rules: &mut Rules, name: &str, service: &Service) {
    if !service.data {
        return;
    }
    if service.count > 1 {
        rules.flag(
            Code::ServiceSharedData,
            value(&["services", name, "count"], "several instances"),
            format!(
                "Service `{name}` runs {} instances on one data directory",
                service.count
            ),
        );
    }
    let data_path_ok = service.data_path.starts_with('/')
        && super::storage::is_plain_path(&service.data_path)
        && service.data_path != "/"
        && !service.data_path.ends_with('/')
        && !service.data_path.split('/').any(|part| part == "..");
    if !data_path_ok {
        rules.flag(
            Code::ServiceInvalidDataPath,
            value(&["services", name, "data_path"], "invalid path"),
            format!(
                "`{}` is not an absolute path inside the container",
                service.data_path
            ),
        );
    }
    if rules.inventory.storage.services.is_none() {
        rules.flag(
            Code::ServiceDataWithoutShare,
            key(&["services", name, "data"], "needs storage.services"),
            format!("Service `{name}` keeps data but no services share is configured"),
        );
    }
}

fn ports(
    rules: &mut Rules,
    name: &str,
    service: &Service,
    static_ports: &mut BTreeMap<u16, (String, String)>,
) {
    for (label, port) in &service.ports {
        let path = ["services", name, "ports", label.as_str()];
        port_label(rules, name, label, &path);
        dynamic_port_target(rules, name, service, label, port, &path);
        if port.container() == Some(0) {
            rules.flag(
                Code::ServicePortZero,
                value(&path, "container port 0"),
                format!("Port `{label}` of `{name}` maps to container port 0"),
            );
        }
        let Some(number) = port.host() else {
            if port.expose() != Expose::Cluster {
                rules.flag(
                    Code::ServiceExposeDynamic,
                    value(&path, "dynamic port"),
                    format!("Port `{label}` of `{name}` is dynamic: only the cluster can reach it"),
                );
            }
            continue;
        };
        if number == 0 {
            rules.flag(
                Code::ServicePortZero,
                value(&path, "port 0"),
                format!("Port `{label}` of `{name}` is 0"),
            );
            continue;
        }
        if let Some(what) = crate::model::firewall::reserved(number) {
            rules.flag(
                Code::ServicePortReserved,
                value(&path, "reserved port"),
                format!("Port {number} of `{name}` is taken by {what}"),
            );
        }
        if let Some((other, other_label)) = static_ports.get(&number) {
            let first = rules.span(value(&["services", other, "ports", other_label], ""));
            rules
                .flag(
                    Code::ServicePortConflict,
                    value(&path, "claimed here"),
                    format!("Services `{other}` and `{name}` both claim static port {number}"),
                )
                .also(first, "and claimed here");
        } else {
            static_ports.insert(number, (name.to_owned(), label.clone()));
        }
    }
}

/// The help of each placement that names nothing, by the name it gives: a
/// group renamed while many services prefer it is looked for once.
type PlacementHints<'a> = BTreeMap<&'a str, String>;

fn placement<'a>(
    rules: &mut Rules<'a>,
    name: &str,
    service: &'a Service,
    workers: &Workers,
    hints: &mut PlacementHints<'a>,
) {
    for (field, wanted) in [("prefer", &service.prefer), ("require", &service.require)] {
        if let Some(wanted) = wanted {
            placement_names(rules, (name, field), &wanted.value, workers, hints);
        }
    }
}

/// `prefer` or `require` names the NFS primary, a role, a group or a host, one
/// that some worker, but not every worker, matches.
fn placement_names<'a>(
    rules: &mut Rules<'a>,
    (name, field): (&str, &str),
    wanted: &'a str,
    workers: &Workers,
    hints: &mut PlacementHints<'a>,
) {
    let inventory = rules.inventory;
    if let Some(placement) = inventory.placement(wanted) {
        placement_reaches_workers(rules, name, field, wanted, &placement, workers);
        return;
    }
    let help = hints
        .entry(wanted)
        .or_insert_with(|| unknown_placement_help(inventory, wanted))
        .clone();
    rules
        .flag(
            Code::ReferenceUnknownPlacement,
            value(&["services", name, field], "unknown placement"),
            format!("Placement `{wanted}` names no host, role or group"),
        )
        .hint(help);
}

/// The closest name a placement may give, or the kinds of name it may be:
/// hosts are not listed, as a cluster has thousands.
fn unknown_placement_help(inventory: &crate::inventory::Inventory, wanted: &str) -> String {
    if wanted == NFS_PRIMARY {
        return format!("`{NFS_PRIMARY}` needs `storage.services`");
    }
    let mut candidates: Vec<&str> = vec![NFS_PRIMARY];
    candidates.extend(Role::all().map(|role| role.as_str() as &str));
    candidates.extend(inventory.groups.keys().map(String::as_str));
    let hosts = inventory.hosts.keys().map(String::as_str);
    match suggest::closest(wanted, candidates.iter().copied().chain(hosts)) {
        Some(closest) => format!("did you mean `{closest}`?"),
        None => format!("{}, or the name of a host", suggest::expected(&candidates)),
    }
}

/// A placement no worker matches places nothing; a preference every worker
/// matches says nothing.
fn placement_reaches_workers(
    rules: &mut Rules,
    name: &str,
    field: &str,
    wanted: &str,
    placement: &Placement,
    workers: &Workers,
) {
    let primary = rules
        .services_share()
        .map(|share| share.primary.value.as_str());
    let matching = workers.matching(placement, primary);
    let path = ["services", name, field];
    if matching == 0 && workers.count() > 0 {
        rules.flag(
            Code::ReferencePlacementWithoutWorkers,
            value(&path, "no worker here"),
            format!("`{wanted}` of `{name}` matches no Nomad worker"),
        );
    } else if matching == workers.count() && workers.count() > 1 && field == "prefer" {
        rules.flag(
            Code::ReferencePlacementMatchesAll,
            value(&path, "every worker"),
            format!("`{wanted}` of `{name}` matches every Nomad worker"),
        );
    }
}

/// A static port is taken once per host: no more instances than workers.
fn count_fits_workers(rules: &mut Rules, name: &str, service: &Service, workers: &Workers) {
    let primary = rules
        .services_share()
        .map(|share| share.primary.value.as_str());
    // A job that requires a place has only the workers there.
    let workers = service
        .require
        .as_ref()
        .and_then(|required| rules.inventory.placement(&required.value))
        .map_or_else(
            || workers.count(),
            |required| workers.matching(&required, primary),
        );
    let has_static_port = service.ports.values().any(|port| port.host().is_some());
    if has_static_port
        && workers > 0
        && usize::try_from(service.count).unwrap_or(usize::MAX) > workers
    {
        rules.flag(
            Code::ServiceCountAboveWorkers,
            value(&["services", name, "count"], "more instances than workers"),
            format!(
                "`{name}` runs {} instances on a static port, but there are {workers} workers it may run on",
                service.count
            ),
        );
    }
}

/// Nomad makes `NOMAD_PORT_<label>` and friends of each label: it must be a
/// valid environment variable name's tail.
fn port_label(rules: &mut Rules, name: &str, label: &str, path: &[&str]) {
    let valid = !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        rules.flag(
            Code::ServiceInvalidPortLabel,
            key(path, "not usable in NOMAD_PORT_<label>"),
            format!(
                "Port label `{label}` of `{name}` cannot be part of an environment variable name"
            ),
        );
    }
}

/// A dynamic host port without `to` is mapped to the same, random number inside
/// the container: only an application told that number (`NOMAD_PORT_<label>`)
/// listens there.
fn dynamic_port_target(
    rules: &mut Rules,
    name: &str,
    service: &Service,
    label: &str,
    port: &Port,
    path: &[&str],
) {
    if port.host().is_some() || port.container().is_some() {
        return;
    }
    let told = format!("NOMAD_PORT_{label}");
    let listens_there = service
        .args
        .iter()
        .chain(service.env.values())
        .any(|text| text.contains(&told));
    if !listens_there {
        rules.flag(
            Code::ServiceDynamicPortWithoutTo,
            value(path, "no container port"),
            format!("Dynamic port `{label}` of `{name}` says no container port to map to"),
        );
    }
}

fn health_check(rules: &mut Rules, name: &str, service: &Service) {
    let Some(check) = &service.check else {
        return;
    };
    if let Some(port) = check
        .port
        .as_ref()
        .filter(|port| !service.ports.contains_key(*port))
    {
        let labels: Vec<&str> = service.ports.keys().map(String::as_str).collect();
        rules
            .flag(
                Code::ServiceUnknownCheckPort,
                value(&["services", name, "check", "port"], "no such port"),
                format!("The check of `{name}` uses port `{port}`, which it does not declare"),
            )
            .hint(suggest::hint(port, &labels));
    }
    if service.ports.is_empty() {
        rules.flag(
            Code::ServiceCheckWithoutPort,
            key(&["services", name, "check"], "nothing to check"),
            format!("Service `{name}` has a check but no port"),
        );
    }
    for (field, text) in [("interval", &check.interval), ("timeout", &check.timeout)] {
        if duration::seconds(text).is_none_or(|seconds| seconds < 1.0) {
            rules.flag(
                Code::ServiceInvalidDuration,
                value(
                    &["services", name, "check", field],
                    "not a duration of 1s or more",
                ),
                format!("`{text}` is not a check {field} Nomad accepts"),
            );
        }
    }
    check_path(rules, name, check);
}

/// An HTTP check needs a path, a TCP check has none.
fn check_path(rules: &mut Rules, name: &str, check: &Check) {
    if let Some(path) = &check.path
        && !is_http_path(path)
    {
        rules.flag(
            Code::ServiceInvalidCheckPath,
            value(&["services", name, "check", "path"], "not a path"),
            format!("`{path}` is not an HTTP path"),
        );
    }
    if check.r#type == CheckType::Tcp && check.path.is_some() {
        rules.flag(
            Code::ServicePathOnTcpCheck,
            key(
                &["services", name, "check", "path"],
                "a TCP check has no path",
            ),
            format!("The TCP check of `{name}` has a path, which Nomad would ignore"),
        );
    }
    if check.r#type == CheckType::Http && check.path.is_none() {
        rules.flag(
            Code::ServiceHttpCheckWithoutPath,
            key(&["services", name, "check"], "needs a path"),
            format!("The HTTP check of `{name}` has no path"),
        );
    }
}

/// A path Consul can request: from `/`, printable, no spaces, no scheme.
fn is_http_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && path.chars().all(|c| c.is_ascii_graphic())
}

fn environment(rules: &mut Rules, name: &str, service: &Service) {
    for (index, variable) in service.secret_env.iter().enumerate() {
        if service.env.contains_key(variable) {
            let first = rules.span(key(&["services", name, "env", variable], ""));
            rules
                .flag(
                    Code::ServiceEnvTwice,
                    value(
                        &["services", name, "secret_env", &index.to_string()],
                        "also in env",
                    ),
                    format!("`{variable}` of `{name}` is both in `env` and in `secret_env`"),
                )
                .also(first, "set in env here");
        }
    }
    let index_texts: Vec<String> = (0..service.secret_env.len())
        .map(|index| index.to_string())
        .collect();
    let plain = service
        .env
        .keys()
        .map(|variable| (variable, ["services", name, "env", variable.as_str()]));
    let secret = service
        .secret_env
        .iter()
        .zip(&index_texts)
        .map(|(variable, index)| (variable, ["services", name, "secret_env", index.as_str()]));
    for (variable, path) in plain.chain(secret) {
        if !is_env_name(variable) {
            rules.flag(
                Code::ServiceInvalidEnvName,
                key(&path, "invalid name"),
                format!("`{variable}` is not an environment variable name"),
            );
        }
    }
}

/// `algorithm:hex`, full length for the algorithms Docker knows.
fn is_digest(digest: &str) -> bool {
    digest.split_once(':').is_some_and(|(algorithm, hex)| {
        let full_length = match algorithm {
            "sha256" => 64,
            "sha512" => 128,
            _ => 32,
        };
        !algorithm.is_empty()
            && hex.len() >= full_length
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// `[registry[:port]/]path[:tag][@algorithm:digest]`, as Docker parses it.
pub(super) fn is_image_reference(image: &str) -> bool {
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let digest_ok = digest.is_none_or(is_digest);
    let last_slash = rest.rfind('/').map_or(0, |slash| slash + 1);
    let (name, tag) = match rest[last_slash..].split_once(':') {
        Some((_, tag)) => (
            &rest[..last_slash + rest[last_slash..].find(':').unwrap_or(0)],
            Some(tag),
        ),
        None => (rest, None),
    };
    let tag_ok = tag.is_none_or(|tag| {
        (1..=128).contains(&tag.len())
            && tag
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    });
    let mut components = name.split('/').peekable();
    let registry_ok = match components.peek() {
        Some(first)
            if name.contains('/')
                && (first.contains('.') || first.contains(':') || *first == "localhost") =>
        {
            let registry = components.next().unwrap_or_default();
            registry
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        }
        _ => true,
    };
    let path_ok = components.all(|component| {
        !component.is_empty()
            && component.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
            && component
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && component
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_alphanumeric())
    });
    !name.is_empty() && digest_ok && tag_ok && registry_ok && path_ok
}

/// What the container gets from its host: shares, devices, a user, memory.
fn container_access(rules: &mut Rules, name: &str, service: &Service) {
    share_mounts(rules, name, service);
    for (index, device) in service.devices.iter().enumerate() {
        if !device.starts_with("/dev/") || device.contains("..") {
            rules.flag(
                Code::ServiceInvalidDevice,
                value(
                    &["services", name, "devices", &index.to_string()],
                    "not under /dev",
                ),
                format!("`{device}` is not a device"),
            );
        }
    }
    if let Some(user) = &service.user
        && !is_container_user(user)
    {
        rules.flag(
            Code::ServiceInvalidUser,
            value(&["services", name, "user"], "not a user"),
            format!("`{user}` is not a user name, uid or uid:gid"),
        );
    }
    if let Some(memory_max) = service.resources.memory_max
        && memory_max < service.resources.memory
    {
        rules.flag(
            Code::ServiceMemoryMaxBelowMemory,
            value(
                &["services", name, "resources", "memory_max"],
                "below memory",
            ),
            format!(
                "`memory_max` ({memory_max} MB) is below `memory` ({} MB)",
                service.resources.memory
            ),
        );
    }
}

/// Each share mounted is one the hosts mount, at an absolute container path.
fn share_mounts(rules: &mut Rules, name: &str, service: &Service) {
    let shares: Vec<&str> = rules
        .inventory
        .storage
        .cifs
        .as_ref()
        .map(|cifs| cifs.value.shares.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for (share, mount) in &service.mounts {
        let path = ["services", name, "mounts", share.as_str()];
        if !shares.contains(&share.as_str()) {
            rules
                .flag(
                    Code::ServiceUnknownMount,
                    key(&path, "no such share"),
                    format!("`{name}` mounts `{share}`, which is not in `storage.cifs.shares`"),
                )
                .hint(suggest::hint(share, &shares));
        }
        if !mount.path().starts_with('/') || mount.path().contains(':') {
            rules.flag(
                Code::ServiceInvalidMountPath,
                value(&path, "not an absolute path"),
                format!("`{}` is not a path inside the container", mount.path()),
            );
        }
    }
}

/// A user Docker's `--user` takes: a name, a uid, or either with `:group`.
fn is_container_user(user: &str) -> bool {
    let part = |text: &str| {
        let mut chars = text.chars();
        chars
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    match user.split_once(':') {
        Some((user, group)) => part(user) && part(group),
        None => part(user),
    }
}

/// Consul takes any tag but a blank one, one with a control character, or a
/// service without a port to attach it to.
fn tags(rules: &mut Rules, name: &str, service: &Service) {
    consul_tags(rules, &["services", name, "tags"], &service.tags);
    if !service.tags.is_empty() && service.ports.is_empty() {
        rules.flag(
            Code::ServiceInvalidTag,
            key(&["services", name, "tags"], "no service to tag"),
            format!("`{name}` has tags but no port: nothing is registered in Consul"),
        );
    }
}

/// A scheduled job runs to completion, a job on every worker runs once per
/// worker: what each cannot also be.
fn job_kind(rules: &mut Rules, name: &str, service: &Service) {
    if let Some(schedule) = &service.schedule {
        let path = ["services", name, "schedule"];
        if !is_cron(schedule) {
            rules.flag(
                Code::ServiceInvalidSchedule,
                value(&path, "not a cron expression"),
                format!("`{schedule}` is not a cron schedule"),
            );
        }
        if service.every_worker {
            rules.flag(
                Code::ServiceScheduledEverywhere,
                value(&path, "and every_worker"),
                format!("`{name}` is both scheduled and on every worker"),
            );
        }
        if !service.ports.is_empty() {
            rules.flag(
                Code::ServiceScheduledWithPorts,
                key(
                    &["services", name, "ports"],
                    "a scheduled job serves nothing",
                ),
                format!("The scheduled job `{name}` declares ports"),
            );
        }
    }
    if service.every_worker && (service.count != 1 || service.data) {
        rules.flag(
            Code::ServiceEveryWorkerAlone,
            key(&["services", name, "every_worker"], "one per worker"),
            format!("`{name}` runs on every worker: it takes no `count`, and cannot share one data directory"),
        );
    }
}

/// A schedule Nomad's cron parser takes: a `@` shorthand, or 5 to 7 fields.
fn is_cron(schedule: &str) -> bool {
    const SHORTHANDS: [&str; 7] = [
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    if SHORTHANDS.contains(&schedule) {
        return true;
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    (5..=7).contains(&fields.len())
        && fields.iter().all(|field| {
            field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '/' | ',' | '-' | '?'))
        })
}

#[cfg(test)]
mod tests {
    use super::{is_http_path, is_image_reference};

    #[test]
    fn http_paths() {
        assert!(is_http_path("/health?full=1"));
        for bad in ["health", "http://x/health", "/a b", "//x"] {
            assert!(!is_http_path(bad), "{bad}");
        }
    }

    #[test]
    fn image_references() {
        for good in [
            "postgres:16.4",
            "ghcr.io/org/app:v1",
            "localhost:5000/x",
            "traefik/whoami",
            "a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(is_image_reference(good), "{good}");
        }
        for bad in [
            "",
            "Postgres",
            "app:",
            "app:-x",
            "a//b",
            "-x",
            "x y",
            "app@sha256:zz",
            "a@sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }
}
