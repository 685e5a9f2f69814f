//! `gen explain --service NAME`: where a job can run and why, who may reach its
//! ports, its data, its secrets, and what the task sees when it starts.

use std::fmt::Write;

use crate::Prepared;
use crate::error::Error;
use crate::inventory::Expose;
use crate::model::lifecycle::JobKind;
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
    route_section(&mut text, model, service);
    data_section(&mut text, model, service);
    lifecycle_section(&mut text, service);
    environment_section(&mut text, service);
    Ok(text)
}

fn placement_section(out: &mut String, model: &model::Cluster, service: &Service) {
    let workers: Vec<&model::Host> = model
        .hosts
        .iter()
        .filter(|host| service.may_run_on(host))
        .collect();
    let names = |hosts: &[&model::Host]| {
        hosts
            .iter()
            .map(|host| host.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "Where it runs:");
    let _ = match service.kind {
        JobKind::System => writeln!(out, "  one instance on each of: {}", names(&workers)),
        JobKind::Batch => writeln!(
            out,
            "  each run ({}) on any of the {} workers: {}",
            service.schedule.as_deref().unwrap_or_default(),
            workers.len(),
            names(&workers)
        ),
        JobKind::Service => writeln!(
            out,
            "  {} instance(s) on any of the {} workers: {}",
            service.count,
            workers.len(),
            names(&workers)
        ),
    };
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
    for registration in &service.registrations {
        let _ = writeln!(
            out,
            "  Consul also advertises {} as {}{}, checked with a TCP connection",
            registration.port,
            registration.name,
            tagged(&registration.tags)
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

fn tagged(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" (tags {})", tags.join(", "))
    }
}

/// The ingress' name for it, and where Traefik answers to it.
fn route_section(out: &mut String, model: &model::Cluster, service: &Service) {
    let Some(host) = &service.route else {
        return;
    };
    let ingress_hosts: Vec<&str> = model
        .hosts
        .iter()
        .filter(|host| !host.ingress_ports.is_empty())
        .map(|host| host.name.as_str())
        .collect();
    let scheme = if model.ingress_tls() { "https" } else { "http" };
    let _ = writeln!(
        out,
        "\nIngress:\n  {scheme}://{host}/ → its main port, through Traefik on {}; point {host} at those hosts",
        ingress_hosts.join(", ")
    );
}

/// Restarts, placements, updates and stops, as the job file has them.
fn lifecycle_section(out: &mut String, service: &Service) {
    let lifecycle = &service.lifecycle;
    let restart = &lifecycle.restart;
    let _ = writeln!(
        out,
        "\nWhen it fails or changes:\n  restarted in place {} times in {}, {} apart (then mode {})",
        restart.attempts, restart.interval, restart.delay, restart.mode
    );
    let _ = writeln!(out, "  {}", reschedule_line(lifecycle.reschedule.as_ref()));
    if let Some(health) = lifecycle
        .update
        .as_ref()
        .and_then(|update| update.health.as_ref())
    {
        let _ = writeln!(
            out,
            "  an update is healthy by {} after {}, within {}{}",
            health.health_check,
            health.min_healthy_time,
            health.healthy_deadline,
            if health.auto_revert {
                "; a failed one is rolled back"
            } else {
                ""
            }
        );
    }
    if let Some(disconnect) = &lifecycle.disconnect {
        if let Some(after) = &disconnect.stop_on_client_after {
            let _ = writeln!(
                out,
                "  on a worker cut off from the servers it is stopped after {after}, before a copy starts elsewhere"
            );
        }
        if let Some(after) = &disconnect.lost_after {
            let _ = writeln!(
                out,
                "  on a worker cut off from the servers it keeps running for {after}"
            );
        }
    }
    if let Some(timeout) = &lifecycle.kill_timeout {
        let _ = writeln!(out, "  given {timeout} to stop before it is killed");
    }
}

fn reschedule_line(reschedule: Option<&model::lifecycle::Reschedule>) -> String {
    match reschedule {
        Some(reschedule) if reschedule.unlimited => format!(
            "then placed again for as long as it takes, {} delay from {} up to {}",
            reschedule.delay_function, reschedule.delay, reschedule.max_delay
        ),
        Some(reschedule) => format!(
            "then placed again {} times in {}",
            reschedule.attempts.unwrap_or(0),
            reschedule.interval.as_deref().unwrap_or_default()
        ),
        None => "never placed elsewhere: it stays on its worker".to_owned(),
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
    let keys = service.variable_keys();
    if !keys.is_empty() {
        let variable = model::job_variable(&service.name);
        let _ = writeln!(
            out,
            "  {} from the Nomad variable {variable} (nomad var put {variable} NAME=…); the task waits for it",
            keys.join(", "),
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
