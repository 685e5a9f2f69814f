//! `gen init --from DIR`: the inventory of a flake repository written by hand,
//! laid out as gen lays out its own (`flake.nix` with `nixosConfigurations` and
//! deploy-rs nodes, `hosts/<name>/default.nix` importing `common/<role>.nix`,
//! `services/*.hcl`), as far as an inventory can say it. What it cannot say
//! is listed, for the reader to carry over by hand.

mod nixread;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::inventory::{Role, System};
use crate::rollout::nixfile;
use nixread::Binding;

/// The inventory found, and what could not be put in it.
pub struct Adopted {
    pub text: String,
    pub unmapped: Vec<String>,
}

/// A host as its files describe it.
#[derive(Default)]
struct FoundHost {
    system: Option<&'static str>,
    address: Option<String>,
    roles: Vec<Role>,
    profile: Option<&'static str>,
    boot_loader: Option<&'static str>,
    modules: Vec<String>,
    deploy: BTreeMap<String, Value>,
    nix: BTreeMap<String, Value>,
}

/// A Nomad job as its file describes it.
#[derive(Default)]
struct FoundService {
    image: Option<String>,
    count: Option<u64>,
    ports: BTreeMap<String, Value>,
    env: BTreeMap<String, Value>,
    resources: BTreeMap<String, Value>,
}

/// Settings of the whole cluster, where some file says them.
#[derive(Default)]
struct FoundCluster {
    name: String,
    nixpkgs: Option<String>,
    state_version: Option<String>,
    time_zone: Option<String>,
    admin: Option<(String, Vec<Value>)>,
}

/// Reads the repository at `dir`.
pub fn adopt(dir: &Path) -> Result<Adopted, Error> {
    let flake = read(&dir.join("flake.nix"))?;
    let mut unmapped = Vec::new();
    let mut cluster = FoundCluster {
        name: cluster_name(dir),
        ..FoundCluster::default()
    };
    let entries = flake_hosts(&flake, &mut cluster);
    let mut hosts = BTreeMap::new();
    for (name, entry) in entries {
        let mut host = entry.host;
        if let Some(file) = entry.file {
            let text = read(&dir.join(&file))?;
            read_host(&name, &file, &text, &mut host, &mut cluster, &mut unmapped);
        } else {
            unmapped.push(format!(
                "flake.nix: `nixosConfigurations.{name}` names no host file gen could read"
            ));
        }
        hosts.insert(name, host);
    }
    for file in nix_files(&dir.join("common"))? {
        let text = read(&file)?;
        read_cluster_settings(&text, &mut cluster);
    }
    let mut services = BTreeMap::new();
    for file in files_with(&dir.join("services"), "hcl")? {
        let text = read(&file)?;
        let shown = file
            .strip_prefix(dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        if let Some((name, service)) = read_job(&shown, &text, &mut unmapped) {
            services.insert(name, service);
        }
    }
    let text = write::inventory(&cluster, &hosts, &services, &unmapped);
    Ok(Adopted { text, unmapped })
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })
}

/// The directory's name as a cluster name, or `cluster`.
fn cluster_name(dir: &Path) -> String {
    let name: String = std::fs::canonicalize(dir)
        .ok()
        .and_then(|dir| {
            dir.file_name()
                .map(|name| name.to_string_lossy().to_lowercase())
        })
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    if name.is_empty() {
        "cluster".to_owned()
    } else {
        name.to_owned()
    }
}

/// A host entry of the flake: its file, system and deploy-rs node.
#[derive(Default)]
struct FlakeEntry {
    file: Option<String>,
    host: FoundHost,
}

/// The hosts of `nixosConfigurations`, with what `deploy.nodes` says of each.
fn flake_hosts(flake: &str, cluster: &mut FoundCluster) -> BTreeMap<String, FlakeEntry> {
    let mut entries: BTreeMap<String, FlakeEntry> = BTreeMap::new();
    for binding in nixread::bindings(flake) {
        let parts: Vec<&str> = binding.path.split('.').collect();
        if binding.path.ends_with("inputs.nixpkgs.url") {
            cluster.nixpkgs = binding
                .literal()
                .and_then(|url| url.as_str().map(str::to_owned));
        }
        if let Some(at) = parts.iter().position(|part| *part == "nixosConfigurations")
            && let Some(name) = parts.get(at + 1)
        {
            let entry = entries.entry((*name).to_owned()).or_default();
            let text = binding.text();
            entry.host.system = <System as strum::IntoEnumIterator>::iter()
                .map(System::as_str)
                .find(|system| text.contains(&format!("\"{system}\"")))
                .or(entry.host.system);
            if entry.file.is_none() {
                entry.file = nixfile::path_literals(&text)
                    .into_iter()
                    .find_map(|path| host_file(&path));
            }
        }
        if let Some(at) = parts
            .windows(2)
            .position(|pair| pair == ["deploy", "nodes"])
            && let (Some(name), Some(key)) = (parts.get(at + 2), parts.get(at + 3))
            && parts.len() == at + 4
            && let Some(value) = binding.literal()
        {
            let host = &mut entries.entry((*name).to_owned()).or_default().host;
            if *key == "hostname" {
                host.address = value.as_str().map(str::to_owned);
            } else if crate::inventory::is_deploy_setting(key) {
                host.deploy.insert((*key).to_owned(), value);
            }
        }
    }
    entries
}

/// The host file a flake path names: `./hosts/c1` is `hosts/c1/default.nix`;
/// none outside the repository.
fn host_file(path: &str) -> Option<String> {
    let path = nixfile::resolve(crate::paths::FLAKE, path)?;
    Some(if path.ends_with(".nix") {
        path
    } else {
        format!("{path}/default.nix")
    })
}

/// What a host file says: roles from the role modules it imports, its own
/// modules, and its option values.
fn read_host(
    name: &str,
    file: &str,
    text: &str,
    host: &mut FoundHost,
    cluster: &mut FoundCluster,
    unmapped: &mut Vec<String>,
) {
    let dir = file.rsplit_once('/').map_or("", |(dir, _)| dir);
    for binding in nixread::bindings(text) {
        let option = binding.option();
        if option == "imports" {
            for path in nixfile::path_literals(&binding.text()) {
                import(name, file, dir, &path, host, unmapped);
            }
            continue;
        }
        if read_cluster_setting(&binding, cluster) || option.starts_with("sops.") {
            continue;
        }
        let value = binding.literal();
        match (option, value) {
            ("networking.hostName", Some(Value::String(hostname))) if hostname == name => {}
            ("cluster.node.bootLoader", Some(Value::String(loader))) => {
                host.boot_loader = ["systemd-boot", "extlinux"]
                    .into_iter()
                    .find(|known| *known == loader);
            }
            ("boot.loader.generic-extlinux-compatible.enable", Some(Value::Bool(true))) => {
                host.boot_loader = Some("extlinux");
            }
            ("boot.loader.systemd-boot.enable", Some(Value::Bool(true))) => {}
            // gen's own options, made again from the inventory.
            (option, _) if option.starts_with("cluster.") => {}
            (option, Some(value)) if !binding.conditional => {
                host.nix.insert(option.to_owned(), value);
            }
            (option, _) => unmapped.push(format!(
                "{file}: `{option} = {}` is not plain data an inventory can hold",
                one_line(&binding.text())
            )),
        }
    }
}

/// One import of a host file: a role's module, one of the host's own, or
/// something gen does not write.
fn import(
    name: &str,
    file: &str,
    dir: &str,
    path: &str,
    host: &mut FoundHost,
    unmapped: &mut Vec<String>,
) {
    let Some(resolved) = nixfile::resolve(file, path) else {
        unmapped.push(format!("{file}: imports `{path}`, outside the repository"));
        return;
    };
    let module = resolved.trim_end_matches("/default.nix");
    if module == "common/global" || module == crate::paths::MINIMAL_MODULE {
        return;
    }
    if let Some(role) = Role::all().find(|role| role.spec().module == module) {
        host.roles.push(role);
        return;
    }
    if module == "common/workstation-node.nix" {
        host.profile = host.profile.or(Some("workstation"));
        return;
    }
    if module == "common/desktop-node.nix" {
        host.profile = Some("desktop");
        return;
    }
    if module == crate::paths::hardware_file(name) {
        return;
    }
    if let Some(own) = module.strip_prefix(&format!("{dir}/")) {
        host.modules.push(format!("./{own}"));
        unmapped.push(format!(
            "{module}: copy it into the output's `hosts/{name}/`, where the generated host file imports it"
        ));
        return;
    }
    unmapped.push(format!(
        "{file}: imports `{path}`, which is no role of gen's: copy it beside the host file and list it in `modules`"
    ));
}

/// The cluster-wide settings any file may hold: the state version, the time
/// zone, the admin account. Whether `binding` was one.
fn read_cluster_setting(binding: &Binding, cluster: &mut FoundCluster) -> bool {
    let option = binding.option();
    let text = || {
        binding
            .literal()
            .and_then(|value| value.as_str().map(str::to_owned))
    };
    match option {
        "system.stateVersion" => cluster.state_version = cluster.state_version.take().or_else(text),
        "time.timeZone" => cluster.time_zone = cluster.time_zone.take().or_else(text),
        _ => {
            let Some(user) = option
                .strip_prefix("users.users.")
                .and_then(|rest| rest.strip_suffix(".openssh.authorizedKeys.keys"))
            else {
                return false;
            };
            if let (None, Some(Value::Array(keys))) = (&cluster.admin, binding.literal()) {
                cluster.admin = Some((user.to_owned(), keys));
            }
        }
    }
    true
}

fn read_cluster_settings(text: &str, cluster: &mut FoundCluster) {
    for binding in nixread::bindings(text) {
        read_cluster_setting(&binding, cluster);
    }
}

/// The first labelled block of a decoded HCL body, by its label.
fn first_block(blocks: Option<&Value>) -> Option<(&String, &Value)> {
    blocks?.as_object()?.iter().next()
}

/// The job of a `.hcl` file: its image, count, ports, environment and resources;
/// a file without one is listed as not carried over.
fn read_job(file: &str, text: &str, unmapped: &mut Vec<String>) -> Option<(String, FoundService)> {
    let Ok(parsed) = hcl::from_str::<Value>(text) else {
        unmapped.push(format!("{file}: not HCL gen can read"));
        return None;
    };
    let Some((name, job)) = first_block(parsed.get("job")) else {
        unmapped.push(format!("{file}: no `job` block"));
        return None;
    };
    let Some((_, group)) = first_block(job.get("group")) else {
        unmapped.push(format!("{file}: job `{name}` has no `group`"));
        return None;
    };
    let Some((_, task)) = first_block(group.get("task")) else {
        unmapped.push(format!("{file}: job `{name}` has no `task`"));
        return None;
    };
    let mut service = FoundService {
        image: task
            .pointer("/config/image")
            .and_then(Value::as_str)
            .map(str::to_owned),
        count: group.get("count").and_then(Value::as_u64),
        ..FoundService::default()
    };
    if let Some(ports) = group.pointer("/network/port").and_then(Value::as_object) {
        for (label, port) in ports {
            service.ports.insert(label.clone(), port_of(port));
        }
    }
    if let Some(env) = task.get("env").and_then(Value::as_object) {
        service.env = env.clone().into_iter().collect();
    }
    if let Some(resources) = task.get("resources").and_then(Value::as_object) {
        service.resources = resources
            .iter()
            .filter(|(key, _)| matches!(key.as_str(), "cpu" | "memory" | "memory_max"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
    }
    if task.get("driver").and_then(Value::as_str) != Some("docker") {
        unmapped.push(format!(
            "{file}: its task does not use the Docker driver, the only one gen writes"
        ));
    }
    unmapped.push(format!(
        "{file}: image, count, ports, env and resources were read; checks, volumes, templates and policies were not"
    ));
    Some((name.clone(), service))
}

/// A port as the inventory writes it: a static number, or `{ static, to }`.
fn port_of(port: &Value) -> Value {
    let field = |name: &str| port.get(name).and_then(Value::as_u64);
    match (field("static"), field("to")) {
        (Some(number), None) => number.into(),
        (number, to) => {
            let mut map = serde_json::Map::new();
            if let Some(number) = number {
                map.insert("static".to_owned(), number.into());
            }
            if let Some(to) = to {
                map.insert("to".to_owned(), to.into());
            }
            Value::Object(map)
        }
    }
}

/// The `.nix` files under `dir`, in path order; none when it does not exist.
fn nix_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|error| Error::Read {
            path: error.path().unwrap_or(dir).to_owned(),
            source: error.into(),
        })?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|ext| ext == "nix") {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// The files of `dir` (not below) ending in `.extension`, in name order; none
/// when it does not exist.
fn files_with(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, Error> {
    let failed = |source| Error::Read {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(failed(error)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(failed)?.path();
        if path.extension().is_some_and(|ext| ext == extension) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `text` on one line, shortened, for a comment.
fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(60).collect::<String>())
    } else {
        line
    }
}
