//! The ingress job: Traefik on the host's network of the chosen workers,
//! reading its routes from the Consul catalog, where each service with a
//! `host` carries them as tags. It is one more Nomad job, so it goes through
//! the same template, check and policies as the inventory's services.

use super::lifecycle::{self, JobKind};
use super::{Check, Port, Service};
use crate::inventory::{self, CheckType, Expose, Ingress, IngressTls};

/// The job's name; no service may take it.
pub const JOB: &str = "ingress";
/// The ports Traefik listens on, on each host it runs on.
pub const HTTP_PORT: u16 = 80;
pub const HTTPS_PORT: u16 = 443;
/// The certificate resolver's name in Traefik.
const RESOLVER: &str = "acme";
/// Where the ACME account and certificates are kept: the allocation's data
/// directory, which a sticky disk carries over to the next version.
const ACME_STORAGE: &str = "/alloc/data/acme.json";
/// Traefik's dynamic configuration naming the certificate, inside the task.
const CERTIFICATES_FILE: &str = "local/certificates.yml";

/// What only the ingress job has.
#[derive(Debug)]
pub struct IngressTask {
    /// The hosts it is limited to; every worker when empty.
    pub hosts: Vec<String>,
    /// Files written into the task before it starts.
    pub files: Vec<TaskFile>,
    /// Keep the allocation's data directory across updates on the same worker.
    pub sticky_disk: bool,
    /// It answers over TLS on 443.
    pub tls: bool,
}

/// A file Nomad writes into the task from a template.
#[derive(Debug)]
pub struct TaskFile {
    /// Relative to the task directory: `secrets/…` or `local/…`.
    pub destination: String,
    /// The template (consul-template syntax).
    pub data: String,
    /// Octal permissions; Nomad's default (0644) when absent.
    pub perms: Option<&'static str>,
    /// The key of the job's Nomad variable it reads, when it reads one.
    pub variable_key: Option<&'static str>,
}

/// The ports of the ingress: HTTP, and HTTPS unless TLS is off.
pub fn ports(ingress: &Ingress) -> Vec<u16> {
    if ingress.tls == IngressTls::Off {
        vec![HTTP_PORT]
    } else {
        vec![HTTP_PORT, HTTPS_PORT]
    }
}

/// The Consul tags that make Traefik route `host` to the service `name`.
pub fn route_tags(name: &str, host: &str, ingress: Option<&Ingress>) -> Vec<String> {
    let Some(ingress) = ingress else {
        return Vec::new();
    };
    let router = format!("traefik.http.routers.{name}");
    let mut tags = vec![
        "traefik.enable=true".to_owned(),
        format!("{router}.rule=Host(`{host}`)"),
    ];
    match ingress.tls {
        IngressTls::Off => tags.push(format!("{router}.entrypoints=web")),
        IngressTls::Certificate => {
            tags.push(format!("{router}.entrypoints=websecure"));
            tags.push(format!("{router}.tls=true"));
        }
        IngressTls::Acme => {
            tags.push(format!("{router}.entrypoints=websecure"));
            tags.push(format!("{router}.tls=true"));
            tags.push(format!("{router}.tls.certresolver={RESOLVER}"));
        }
    }
    tags
}

/// The ingress job.
pub fn job(ingress: &Ingress) -> Service {
    let ports: Vec<Port> = ports(ingress)
        .into_iter()
        .map(|number| Port {
            label: if number == HTTP_PORT { "http" } else { "https" }.to_owned(),
            host: Some(number),
            container: None,
            expose: Expose::Lan,
        })
        .collect();
    let check = check(&ports);
    let secret_env = ingress
        .acme
        .as_ref()
        .filter(|_| ingress.tls == IngressTls::Acme)
        .map(|acme| acme.credentials.clone())
        .unwrap_or_default();
    Service {
        name: JOB.to_owned(),
        image: ingress.image.clone(),
        count: 1,
        ports,
        check: Some(check),
        tags: Vec::new(),
        data: None,
        placement: None,
        requirement: None,
        cpu: 200,
        memory: 256,
        env: std::collections::BTreeMap::new(),
        secret_env,
        args: arguments(ingress),
        user: None,
        schedule: None,
        kind: JobKind::System,
        devices: Vec::new(),
        memory_max: None,
        mounts: Vec::new(),
        route: None,
        registrations: Vec::new(),
        lifecycle: lifecycle::resolve(
            JobKind::System,
            false,
            true,
            &inventory::Lifecycle::default(),
        ),
        ingress: Some(IngressTask {
            hosts: ingress
                .hosts
                .iter()
                .map(|host| host.value.clone())
                .collect(),
            files: files(ingress),
            sticky_disk: ingress.tls == IngressTls::Acme,
            tls: ingress.tls != IngressTls::Off,
        }),
    }
}

/// A TCP check on the last port: HTTPS, or HTTP without TLS.
fn check(ports: &[Port]) -> Check {
    let main_port = ports
        .last()
        .map_or_else(|| "http".to_owned(), |port| port.label.clone());
    Check {
        kind: CheckType::Tcp,
        service_port: main_port.clone(),
        port: main_port,
        path: None,
        interval: inventory::default_check_interval(),
        timeout: inventory::default_check_timeout(),
    }
}

/// Traefik's static configuration, as its command line: routes only for the
/// services tagged `traefik.enable=true`, HTTP sent on to HTTPS.
fn arguments(ingress: &Ingress) -> Vec<String> {
    let mut arguments: Vec<String> = [
        "--global.checknewversion=false",
        "--global.sendanonymoususage=false",
        "--providers.consulcatalog=true",
        "--providers.consulcatalog.endpoint.address=127.0.0.1:8500",
        "--providers.consulcatalog.exposedbydefault=false",
        "--entrypoints.web.address=:80",
    ]
    .map(str::to_owned)
    .to_vec();
    if ingress.tls == IngressTls::Off {
        return arguments;
    }
    arguments.extend(
        [
            "--entrypoints.websecure.address=:443",
            "--entrypoints.web.http.redirections.entrypoint.to=websecure",
            "--entrypoints.web.http.redirections.entrypoint.scheme=https",
        ]
        .map(str::to_owned),
    );
    match (&ingress.tls, &ingress.acme) {
        (IngressTls::Acme, Some(acme)) => {
            let resolver = format!("--certificatesresolvers.{RESOLVER}.acme");
            arguments.push(format!("{resolver}.email={}", acme.email));
            arguments.push(format!("{resolver}.storage={ACME_STORAGE}"));
            arguments.push(format!(
                "{resolver}.dnschallenge.provider={}",
                acme.dns_provider
            ));
            if let Some(ca_server) = &acme.ca_server {
                arguments.push(format!("{resolver}.caserver={ca_server}"));
            }
        }
        (IngressTls::Certificate, _) => {
            arguments.push(format!("--providers.file.filename=/{CERTIFICATES_FILE}"));
        }
        _ => {}
    }
    arguments
}

/// With `tls: certificate`, the certificate and key from the job's Nomad
/// variable, and the dynamic configuration that makes them the default.
fn files(ingress: &Ingress) -> Vec<TaskFile> {
    if ingress.tls != IngressTls::Certificate {
        return Vec::new();
    }
    let from_variable = |destination: &str, key: &'static str, perms| TaskFile {
        destination: destination.to_owned(),
        data: format!(
            "{{{{ $secrets := nomadVar \"{}\" }}}}{{{{ $secrets.{key} }}}}\n",
            super::job_variable(JOB)
        ),
        perms,
        variable_key: Some(key),
    };
    vec![
        from_variable("secrets/tls.crt", "tls_certificate", None),
        from_variable("secrets/tls.key", "tls_key", Some("0600")),
        TaskFile {
            destination: CERTIFICATES_FILE.to_owned(),
            data: "tls:\n  stores:\n    default:\n      defaultCertificate:\n        certFile: /secrets/tls.crt\n        keyFile: /secrets/tls.key\n".to_owned(),
            perms: None,
            variable_key: None,
        },
    ]
}
