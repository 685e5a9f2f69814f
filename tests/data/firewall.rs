//! The hosts' nftables filters: every generated file is accepted by `nft`, and
//! loaded into a network namespace, the example's rules let each port's sources
//! through and drop everyone else, for the host's own ports and for the ports
//! Docker publishes.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Failed, Trial};

use flakegen::model::firewall::Source;

use crate::support::root;

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = crate::flakes()
        .into_iter()
        .map(|(name, inventory)| {
            crate::needing(&["nft"], format!("nft::{name}"), move || {
                rules_parse(inventory.as_deref())
            })
        })
        .collect();
    trials.push(crate::needing(
        &["nft", "ip", "timeout"],
        "nft::the_example_filters_by_source".to_owned(),
        the_example_filters_by_source,
    ));
    trials
}

/// What `cluster-firewall.service` loads on the host whose directory is
/// `host_dir`: the shared chains, then the host's rules.
fn filter_of(flake: &Path, host_dir: &Path, scratch: &Path) -> Result<PathBuf, Failed> {
    let rules = scratch.join(format!(
        "{}.nft",
        host_dir.file_name().unwrap_or_default().to_string_lossy()
    ));
    let shared = std::fs::read_to_string(flake.join(flakegen::paths::FIREWALL_SETS))?;
    let own = std::fs::read_to_string(host_dir.join(flakegen::paths::FIREWALL_FILE))?;
    std::fs::write(&rules, shared + &own)?;
    Ok(rules)
}

/// `nft --check` accepts every host's filter.
fn rules_parse(inventory: Option<&Path>) -> Result<(), Failed> {
    let (_rendered, flake) = crate::flake_dir(inventory);
    let scratch = tempfile::tempdir()?;
    let mut findings = String::new();
    for entry in std::fs::read_dir(flake.join("hosts"))? {
        let rules = filter_of(&flake, &entry?.path(), scratch.path())?;
        let check = Command::new("nft")
            .arg("--check")
            .arg("--file")
            .arg(&rules)
            .output()?;
        if !check.status.success() {
            findings.push_str(&String::from_utf8_lossy(&check.stderr));
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(findings.into())
    }
}

/// A quorum member that runs jobs, its filter loaded in a namespace; probes
/// from a client namespace whose address changes per probe.
fn the_example_filters_by_source() -> Result<(), Failed> {
    let cluster = flakegen::prepare(&root().join("inventory.yaml"))?.cluster;
    let host = cluster
        .hosts
        .iter()
        .find(|host| host.is_server && host.is_worker)
        .ok_or("the example has a quorum member that runs jobs")?;
    let address: Ipv4Addr = host.address.parse()?;
    let source = |source: Source| first_address(&cluster.sources, source);
    let stranger: Ipv4Addr = "10.0.0.250".parse()?;
    let everyone = cluster.sources.of(Source::Cluster).ok_or("no cluster")?;
    if everyone.ipv4.contains(&stranger.to_string()) {
        return Err("the stranger's address is a host's".into());
    }
    let published = *cluster
        .published
        .cluster
        .first()
        .ok_or("the example publishes a port to the cluster")?;

    let lab = Lab::new(address)?;
    let scratch = tempfile::tempdir()?;
    let generated = root().join("generated");
    lab.load(&filter_of(
        &generated,
        &generated.join(&host.dir),
        scratch.path(),
    )?)?;
    lab.publish(published)?;
    let mut wrong = Vec::new();
    // `None` stands for a container on the host.
    let mut expect = |from: Option<Ipv4Addr>, port: u16, reached: bool| -> Result<(), Failed> {
        let actual = match from {
            Some(from) => lab.reaches(from, address, port)?,
            None => lab.container_reaches(address, port)?,
        };
        if actual != reached {
            wrong.push(format!(
                "{} → port {port}: {}",
                from.map_or_else(|| "a container".to_owned(), |from| from.to_string()),
                if reached { "dropped" } else { "let through" }
            ));
        }
        Ok(())
    };
    for opening in &host.openings {
        // The ingress is for everyone; for the rest, a container leaves with the
        // host's address: it must not pass for it.
        let for_anyone = opening.from == Source::Anyone;
        if !for_anyone {
            expect(Some(source(opening.from)?), opening.port, true)?;
        }
        expect(Some(stranger), opening.port, for_anyone)?;
        expect(None, opening.port, for_anyone)?;
    }
    expect(Some(source(Source::Cluster)?), published, true)?;
    expect(Some(stranger), published, false)?;
    // SSH is for everyone: deploy-rs and the admin.
    expect(Some(stranger), 22, true)?;
    expect(None, 22, true)?;
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n").into())
    }
}

/// The first IPv4 address of `source`'s set.
fn first_address(sources: &flakegen::model::Sources, source: Source) -> Result<Ipv4Addr, Failed> {
    let set = sources.of(source).ok_or("no such source")?;
    let first = set.ipv4.first().ok_or("an empty address set")?;
    Ok(first.split('/').next().unwrap_or_default().parse()?)
}

/// Three network namespaces: the host, a client on its LAN, and a container
/// behind the host's `docker0`. Removed on drop.
struct Lab {
    host: String,
    client: String,
    container: String,
}

impl Lab {
    fn new(address: Ipv4Addr) -> Result<Self, Failed> {
        let id = std::process::id();
        let lab = Self {
            host: format!("flakegen-host-{id}"),
            client: format!("flakegen-client-{id}"),
            container: format!("flakegen-container-{id}"),
        };
        for namespace in [&lab.host, &lab.client, &lab.container] {
            ip(&["netns", "add", namespace])?;
            ip(&["-n", namespace, "link", "set", "lo", "up"])?;
        }
        lab.wire(address)?;
        Ok(lab)
    }

    /// The host on the LAN with `address`, the container behind its `docker0`.
    fn wire(&self, address: Ipv4Addr) -> Result<(), Failed> {
        let (host, client, container) = (&self.host, &self.client, &self.container);
        ip(&[
            "link", "add", "lan0", "netns", host, "type", "veth", "peer", "name", "lan0", "netns",
            client,
        ])?;
        ip(&[
            "-n",
            host,
            "addr",
            "add",
            &format!("{address}/8"),
            "dev",
            "lan0",
        ])?;
        ip(&[
            "link", "add", "docker0", "netns", host, "type", "veth", "peer", "name", "eth0",
            "netns", container,
        ])?;
        ip(&["-n", host, "addr", "add", "172.17.0.1/16", "dev", "docker0"])?;
        ip(&[
            "-n",
            container,
            "addr",
            "add",
            "172.17.0.2/16",
            "dev",
            "eth0",
        ])?;
        for (namespace, link) in [
            (host, "lan0"),
            (client, "lan0"),
            (host, "docker0"),
            (container, "eth0"),
        ] {
            ip(&["-n", namespace, "link", "set", link, "up"])?;
        }
        ip(&[
            "-n",
            container,
            "route",
            "add",
            "default",
            "via",
            "172.17.0.1",
        ])?;
        run(Command::new("ip").args([
            "netns",
            "exec",
            host,
            "sysctl",
            "-qw",
            "net.ipv4.ip_forward=1",
        ]))?;
        Ok(())
    }

    fn load(&self, rules: &Path) -> Result<(), Failed> {
        run(Command::new("ip")
            .args(["netns", "exec", &self.host, "nft", "-f"])
            .arg(rules))
    }

    /// Forwards `port` to the container, as Docker publishes a port.
    fn publish(&self, port: u16) -> Result<(), Failed> {
        let dir = tempfile::tempdir()?;
        let rules = dir.path().join("publish.nft");
        std::fs::write(
            &rules,
            format!(
                "table ip published {{\n  chain prerouting {{\n    type nat hook prerouting priority dstnat;\n    tcp dport {port} dnat to 172.17.0.2\n  }}\n}}\n"
            ),
        )?;
        self.load(&rules)
    }

    /// Whether a TCP connection from `from` on the LAN reaches `port`.
    fn reaches(&self, from: Ipv4Addr, to: Ipv4Addr, port: u16) -> Result<bool, Failed> {
        ip(&["-n", &self.client, "addr", "flush", "dev", "lan0"])?;
        ip(&[
            "-n",
            &self.client,
            "addr",
            "add",
            &format!("{from}/8"),
            "dev",
            "lan0",
        ])?;
        probe(&self.client, to, port)
    }

    /// Whether a container on the host reaches the host's `port`.
    fn container_reaches(&self, to: Ipv4Addr, port: u16) -> Result<bool, Failed> {
        probe(&self.container, to, port)
    }
}

/// Whether a TCP connection from `namespace` reaches `port` (refused, since
/// nothing listens, rather than dropped, which times out).
fn probe(namespace: &str, to: Ipv4Addr, port: u16) -> Result<bool, Failed> {
    let probe = Command::new("ip")
        .args(["netns", "exec", namespace, "timeout", "1", "bash", "-c"])
        .arg(format!("exec 3<>/dev/tcp/{to}/{port}"))
        .output()?;
    Ok(probe.status.code() != Some(124))
}

impl Drop for Lab {
    fn drop(&mut self) {
        for namespace in [&self.host, &self.client, &self.container] {
            let _ = Command::new("ip")
                .args(["netns", "del", namespace])
                .output();
        }
    }
}

fn ip(args: &[&str]) -> Result<(), Failed> {
    run(Command::new("ip").args(args))
}

fn run(command: &mut Command) -> Result<(), Failed> {
    let output = command.output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("{command:?}: {}", String::from_utf8_lossy(&output.stderr)).into())
    }
}
