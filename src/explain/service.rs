//! `gen explain --service NAME`: where a job can run and why, who may reach its
//! ports, its data, its secrets, and what the task sees when it starts.

use std::fmt::Write;

use crate::Prepared;
use crate::error::Error;
use crate::inventory::{Expose, Role};
use crate::model::{self, Service};
use crate::paths;

pub fn explain(prepared: &Prepared, name: &str) -> Result<String, Error> {
    let model = &prepared.model;
    let Some(service) = model.services.iter().find(|service| service.name == name) else {
        return Err(super::unknown(
            "service",
            name,
            model.services.iter().map(|service| service.name.as_str()),
        ));
    };
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Service {name} ({}), job file {}\n",
        service.image,
        paths::job_file(name)
    );
    placement_section(&mut text, model, service);
    ports_section(&mut text, service);
    data_section(&mut text, model, service);
    environment_section(&mut text, service);
    Ok(text)
}

fn placement_section(out: &mut String, model: &model::Cluster, service: &Service) {
    let workers: Vec<&model::Host> = model
        .hosts
        .iter()
        .filter(|host| host.has(Role::NomadWorker))
        .collect();
    let names = |hosts: &[&model::Host]| {
        hosts
            .iter()
            .map(|host| host.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "Where it runs:");
    let _ = writeln!(
        out,
        "  {} instance(s) on any of the {} workers: {}",
        service.count,
        workers.len(),
        names(&workers)
    );
    if service.ports.iter().any(|port| port.host.is_some()) {
        let _ = writeln!(
            out,
            "  a static port is taken once per host: one instance per worker at most"
        );
    }
    if let Some(placement) = &service.placement {
        let preferred: Vec<&model::Host> = workers
            .iter()
            .copied()
            .filter(|host| host.is_preferred_by(placement))
            .collect();
        let _ = writeln!(
            out,
            "  preferring {} (a preference, not a requirement)",
            if preferred.is_empty() {
                "no worker".to_owned()
            } else {
                names(&preferred)
            }
        );
    }
}

fn ports_section(out: &mut String, service: &Service) {
    let _ = writeln!(out, "\nPorts:");
    if service.ports.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for port in &service.ports {
        let host = port.host.map_or_else(
            || "a dynamic host port".to_owned(),
            |number| format!("host port {number}"),
        );
        let container = port
            .container
            .or(port.host)
            .map_or_else(|| "the same number".to_owned(), |number| number.to_string());
        let reach = match (port.host, port.expose) {
            (None, _) | (Some(_), Expose::Cluster) => "the inventory's hosts",
            (Some(_), Expose::Lan) => "anyone",
            (Some(_), Expose::Host) => "the host running it and its containers",
        };
        let _ = writeln!(
            out,
            "  {}: {host} → container {container}, reachable from {reach}",
            port.label
        );
    }
    if let Some(check) = &service.check {
        let probe = match &check.path {
            Some(path) => format!("HTTP GET {path}"),
            None => "a TCP connection".to_owned(),
        };
        let _ = writeln!(
            out,
            "  Consul advertises {} and checks it with {probe} on {} every {}",
            check.service_port, check.port, check.interval
        );
    }
}

fn data_section(out: &mut String, model: &model::Cluster, service: &Service) {
    let _ = writeln!(out, "\nData:");
    match (&service.data, &model.nfs) {
        (Some(data), Some(nfs)) => {
            let owner = data.owner.map_or_else(
                || "owned by root, then by the container".to_owned(),
                |uid| format!("owned by {uid}"),
            );
            let _ = writeln!(
                out,
                "  {} on the services share (served by {}, generation {}), at {} in the container, {owner}",
                data.host_path, nfs.primary.name, nfs.generation, data.destination
            );
        }
        _ => {
            let _ = writeln!(out, "  none: it keeps nothing between runs");
        }
    }
}

fn environment_section(out: &mut String, service: &Service) {
    let _ = writeln!(out, "\nWhat the task sees:");
    if !service.args.is_empty() {
        let _ = writeln!(out, "  arguments: {}", service.args.join(" "));
    }
    for (name, value) in &service.env {
        let _ = writeln!(out, "  {name}={value}");
    }
    if !service.secret_env.is_empty() {
        let _ = writeln!(
            out,
            "  {} from the Nomad variable nomad/jobs/{} (nomad var put nomad/jobs/{} NAME=…); the task waits for it",
            service.secret_env.join(", "),
            service.name,
            service.name
        );
    }
    for port in &service.ports {
        let _ = writeln!(
            out,
            "  NOMAD_PORT_{label}, NOMAD_HOST_PORT_{label}, NOMAD_ADDR_{label}: the {label} port",
            label = port.label
        );
    }
    let _ = writeln!(
        out,
        "  In `env` and `args`, Nomad replaces ${{NOMAD_*}}, ${{meta.*}}, ${{attr.*}} and ${{node.*}} when the task starts."
    );
}
