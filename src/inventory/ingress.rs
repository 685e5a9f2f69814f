//! The ingress: one Traefik on the workers (or the hosts named), routing each
//! service's `host` name to it through the Consul catalog.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Located;

/// Traefik, run by Nomad on every worker or on the hosts named, answering on
/// ports 80 and 443 for the services that have a `host`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// Traefik's image.
    #[serde(default = "default_ingress_image")]
    pub image: String,
    /// The workers Traefik runs on, where the services' names point; every worker
    /// when absent.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub hosts: Vec<Located<String>>,
    /// Where the certificates come from: `acme` (with `acme`), `certificate` (one
    /// certificate and key in the Nomad variable `nomad/jobs/ingress`), or `off`
    /// (plain HTTP, warned about).
    pub tls: IngressTls,
    /// The ACME account and DNS challenge, with `tls: acme`.
    pub acme: Option<Acme>,
}

impl Ingress {
    /// The workers Traefik runs on, looked up by name: asked of every worker,
    /// a list searched each time would cost the workers times the list.
    pub fn placed(&self) -> IngressHosts<'_> {
        IngressHosts(
            (!self.hosts.is_empty())
                .then(|| self.hosts.iter().map(|host| host.value.as_str()).collect()),
        )
    }
}

/// The workers named by `ingress.hosts`, or none named: every worker.
pub struct IngressHosts<'a>(Option<std::collections::HashSet<&'a str>>);

impl IngressHosts<'_> {
    /// Whether Traefik runs on the worker `host`.
    pub fn runs_on(&self, host: &str) -> bool {
        self.0.as_ref().is_none_or(|named| named.contains(host))
    }
}

pub fn default_ingress_image() -> String {
    "traefik:v3.2.3".to_owned()
}

named_values! {
    pub enum IngressTls {
        /// Certificates from an ACME CA (Let's Encrypt), by DNS challenge.
        Acme,
        /// One certificate (a wildcard, or one naming every host) and its key,
        /// from the Nomad variable `nomad/jobs/ingress` (`tls_certificate`, `tls_key`).
        Certificate,
        /// No TLS: plain HTTP on port 80.
        Off,
    }
}

/// An ACME account, and the DNS provider that answers its challenges: every
/// Traefik gets its certificates without being reachable from the internet.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acme {
    /// The account's contact address.
    pub email: String,
    /// The DNS provider's code in Traefik (lego), e.g. `cloudflare`, `ovh`, `route53`.
    pub dns_provider: String,
    /// Environment variables the provider reads its credentials from (e.g.
    /// `CF_DNS_API_TOKEN`), set in the Nomad variable `nomad/jobs/ingress`.
    #[serde(default)]
    pub credentials: Vec<String>,
    /// The CA's directory URL; Let's Encrypt when absent.
    pub ca_server: Option<String>,
}
