//! The services share's state transitions, run as generated
//! (`common/nfs-services.sh` of the example) with stub `btrfs`, `ssh` and `date`
//! (`tests/nfs/`) over a temporary tree: host `a` and host `b`, each with its
//! `/persist`. Each scenario is a test case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

use crate::support::root;

type Scenario = fn() -> Result<(), Failed>;

const SCENARIOS: [(&str, Scenario); 13] = [
    ("first_deployment_makes_an_empty_share", first_deployment),
    (
        "without_the_flag_nothing_received_is_refused",
        nothing_received,
    ),
    (
        "replication_is_incremental_after_the_first_send",
        replication,
    ),
    ("failover_serves_the_last_replicated_data", failover),
    ("failback_serves_the_newest_data", failback),
    ("a_stale_export_is_set_aside_not_served", stale_export),
    ("a_partial_snapshot_is_skipped", partial_snapshot),
    ("a_power_cut_mid_receive_is_cleaned_up", power_cut),
    ("data_directories_get_their_owners", data_directories),
    ("an_older_configuration_is_refused", older_configuration),
    ("a_clock_gone_back_stops_the_snapshots", clock_gone_back),
    ("a_stray_file_does_not_stop_receiving", stray_file),
    ("a_removed_standby_holds_back_no_snapshot", removed_standby),
];

pub fn trials() -> Vec<Trial> {
    SCENARIOS
        .into_iter()
        .map(|(name, scenario)| crate::needing(&["bash", "tar"], format!("nfs::{name}"), scenario))
        .collect()
}

/// Two hosts' trees and the stubs, in a temporary directory.
struct Cluster {
    dir: tempfile::TempDir,
}

impl Cluster {
    fn new() -> Result<Self, Failed> {
        let cluster = Self {
            dir: tempfile::tempdir()?,
        };
        for host in ["a", "b"] {
            std::fs::create_dir_all(cluster.received(host))?;
            std::fs::create_dir_all(cluster.path(host, "state"))?;
        }
        std::fs::create_dir(cluster.dir.path().join("btrfs"))?;
        Ok(cluster)
    }

    fn path(&self, host: &str, relative: &str) -> PathBuf {
        self.dir.path().join(host).join(relative)
    }

    fn export(&self, host: &str) -> PathBuf {
        self.path(host, "persist/services")
    }

    fn received(&self, host: &str) -> PathBuf {
        self.path(host, "persist/services-standby")
    }

    /// `nfs-services ARGS` on `host`, with the environment its units set.
    fn run(&self, host: &str, args: &[&str], settings: &[(&str, &str)]) -> Result<Output, Failed> {
        let script = root().join("generated").join(flakegen::paths::NFS_SCRIPT);
        let stubs = root().join("tests/nfs");
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .args(args)
            .env("PATH", format!("{}:/usr/bin:/bin", stubs.display()))
            .env("CLUSTER", self.dir.path())
            .env("NFS_SCRIPT", &script)
            .env("BTRFS_STUB", self.dir.path().join("btrfs"))
            .env("DATE_STUB", self.dir.path().join("clock"))
            .env("EXPORT", self.export(host))
            .env("RECEIVED", self.received(host))
            .env("STATE", self.path(host, "state"))
            .env("REPLICATION_KEY", "/dev/null")
            .env("GENERATION", "1")
            .env("FIRST_DEPLOYMENT", "0")
            .env("SET_ASIDE_DAYS", "14")
            .env("KEEP", "3")
            .env("STANDBYS", "a b")
            .env("DATA_DIRS", "");
        for (key, value) in settings {
            command.env(key, value);
        }
        Ok(command.output()?)
    }

    /// Like [`Cluster::run`], failing the scenario when the command fails.
    fn ok(&self, host: &str, args: &[&str], settings: &[(&str, &str)]) -> Result<String, Failed> {
        let output = self.run(host, args, settings)?;
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            Ok(log)
        } else {
            Err(format!("{host}: nfs-services {} failed:\n{log}", args.join(" ")).into())
        }
    }

    /// Like [`Cluster::run`], failing the scenario unless the command fails.
    fn refused(
        &self,
        host: &str,
        args: &[&str],
        settings: &[(&str, &str)],
    ) -> Result<String, Failed> {
        let output = self.run(host, args, settings)?;
        let log = String::from_utf8_lossy(&output.stderr).into_owned();
        if output.status.success() {
            Err(format!("{host}: nfs-services {} succeeded:\n{log}", args.join(" ")).into())
        } else {
            Ok(log)
        }
    }

    fn write(&self, host: &str, file: &str, text: &str) -> Result<(), Failed> {
        Ok(std::fs::write(self.export(host).join(file), text)?)
    }

    fn read(&self, host: &str, file: &str) -> Result<String, Failed> {
        Ok(std::fs::read_to_string(self.export(host).join(file))?)
    }

    /// Host `a` as the first primary, serving `data` = "v1", replicated to `b`.
    fn first_primary(&self) -> Result<(), Failed> {
        self.ok("a", &["promote"], &[("FIRST_DEPLOYMENT", "1")])?;
        self.publish("a", "1", "v1", "b")
    }

    /// `primary` (of `generation`) writes `data` = `text`, snapshots it and sends it to `standby`.
    fn publish(
        &self,
        primary: &str,
        generation: &str,
        text: &str,
        standby: &str,
    ) -> Result<(), Failed> {
        let settings = [("GENERATION", generation)];
        self.write(primary, "data", text)?;
        self.ok(primary, &["snapshot"], &settings)?;
        self.ok(primary, &["replicate", standby, standby], &settings)?;
        Ok(())
    }

    /// `a` serves "v1", replicated to `b`, then "v2", whose send to `b` a power cut stops.
    fn cut_send(&self) -> Result<(), Failed> {
        self.first_primary()?;
        self.write("a", "data", "v2")?;
        self.ok("a", &["snapshot"], &[])?;
        self.refused("a", &["replicate", "b", "b"], &[("BTRFS_STUB_CUT", "1")])?;
        Ok(())
    }
}

fn entries(dir: &Path) -> Result<Vec<String>, Failed> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, std::io::Error>>()?;
    names.sort();
    Ok(names)
}

fn expect(condition: bool, what: &str) -> Result<(), Failed> {
    if condition { Ok(()) } else { Err(what.into()) }
}

fn first_deployment() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.ok("a", &["promote"], &[("FIRST_DEPLOYMENT", "1")])?;
    expect(cluster.export("a").is_dir(), "no export")?;
    expect(
        cluster.read("a", ".nfs-services-generation")? == "1\n",
        "no generation 1",
    )?;
    // Promoting again serves the same export: idempotent.
    cluster.write("a", "data", "v1")?;
    cluster.ok("a", &["promote"], &[("FIRST_DEPLOYMENT", "1")])?;
    expect(
        cluster.read("a", "data")? == "v1",
        "the export was replaced",
    )
}

fn nothing_received() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    let log = cluster.refused("a", &["promote"], &[])?;
    expect(!cluster.export("a").exists(), "an empty export was made")?;
    expect(log.contains("refusing"), "no reason given")
}

fn replication() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    let first = entries(&cluster.received("b"))?;
    expect(first.len() == 1, "b did not receive the first snapshot")?;
    cluster.write("a", "data", "v2")?;
    cluster.ok("a", &["snapshot"], &[])?;
    let log = cluster.ok("a", &["replicate", "b", "b"], &[])?;
    expect(
        !log.contains("in full"),
        "the second send was not incremental",
    )?;
    let received = entries(&cluster.received("b"))?;
    expect(received.len() == 2, "b did not receive the second snapshot")?;
    let newest = cluster.received("b").join(&received[1]).join("data");
    expect(
        std::fs::read_to_string(newest)? == "v2",
        "b's newest snapshot is not v2",
    )?;
    // The next snapshot prunes the first: the primary keeps the newest and b's parent.
    cluster.ok("a", &["snapshot"], &[])?;
    let own: Vec<String> = entries(&cluster.path("a", "persist"))?
        .into_iter()
        .filter(|name| name.starts_with("services@"))
        .collect();
    expect(
        own.len() == 2 && !own.contains(&first[0]),
        &format!("the primary kept {own:?}"),
    )
}

fn failover() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    // b is promoted in generation 2; a becomes its standby.
    cluster.ok("b", &["promote"], &[("GENERATION", "2")])?;
    expect(
        cluster.read("b", "data")? == "v1",
        "b does not serve a's data",
    )?;
    expect(
        cluster.read("b", ".nfs-services-generation")? == "2\n",
        "b's export is not generation 2",
    )?;
    cluster.ok("a", &["demote"], &[("GENERATION", "2")])?;
    expect(!cluster.export("a").exists(), "a still has its export")?;
    let set_aside = entries(&cluster.path("a", "persist"))?;
    expect(
        set_aside
            .iter()
            .any(|name| name.starts_with("services.set-aside-")),
        "a's export was not set aside",
    )?;
    expect(
        !set_aside.iter().any(|name| name.starts_with("services@")),
        "a kept its own snapshots",
    )
}

fn failback() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    cluster.ok("b", &["promote"], &[("GENERATION", "2")])?;
    cluster.ok("a", &["demote"], &[("GENERATION", "2")])?;
    cluster.publish("b", "2", "v2", "a")?;
    cluster.ok("a", &["promote"], &[("GENERATION", "3")])?;
    expect(
        cluster.read("a", "data")? == "v2",
        "a serves old data after failing back",
    )
}

fn stale_export() -> Result<(), Failed> {
    // a was never demoted, but received b's newer data: its old export is set aside.
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    cluster.ok("b", &["promote"], &[("GENERATION", "2")])?;
    cluster.publish("b", "2", "v2", "a")?;
    cluster.ok("a", &["promote"], &[("GENERATION", "3")])?;
    expect(
        cluster.read("a", "data")? == "v2",
        "a serves its stale export",
    )?;
    // Had a received nothing from b, it must refuse rather than serve v1.
    let offline = Cluster::new()?;
    offline.first_primary()?;
    offline.ok("b", &["promote"], &[("GENERATION", "2")])?;
    let log = offline.refused("a", &["promote"], &[("GENERATION", "3")])?;
    expect(log.contains("generation"), "no reason given")
}

fn partial_snapshot() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.cut_send()?;
    // The cut receive left a newer, writable subvolume without a received UUID.
    expect(
        entries(&cluster.received("b"))?.len() == 2,
        "no partial subvolume left",
    )?;
    let log = cluster.ok("b", &["promote"], &[("GENERATION", "2")])?;
    expect(
        log.contains("skipping"),
        "the partial snapshot was not skipped",
    )?;
    expect(
        cluster.read("b", "data")? == "v1",
        "b promoted the partial snapshot",
    )
}

fn power_cut() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.cut_send()?;
    // The next run clears the leftover and completes the send.
    cluster.ok("a", &["replicate", "b", "b"], &[])?;
    let received = entries(&cluster.received("b"))?;
    expect(received.len() == 2, &format!("b holds {received:?}"))?;
    cluster.ok("b", &["promote"], &[("GENERATION", "2")])?;
    expect(
        cluster.read("b", "data")? == "v2",
        "b did not get v2 after the power cut",
    )
}

fn data_directories() -> Result<(), Failed> {
    use std::os::unix::fs::MetadataExt;
    let cluster = Cluster::new()?;
    cluster.ok("a", &["promote"], &[("FIRST_DEPLOYMENT", "1")])?;
    let dirs = [("DATA_DIRS", "grafana:472 postgres:-")];
    cluster.ok("a", &["data-dirs"], &dirs)?;
    let grafana = std::fs::metadata(cluster.export("a").join("grafana"))?;
    expect(
        grafana.uid() == 472,
        "grafana's directory is not owned by 472",
    )?;
    // The container may take its directory over: it is left alone.
    std::os::unix::fs::chown(cluster.export("a").join("postgres"), Some(999), Some(999))?;
    // An owner changed in the inventory is applied on the next switch.
    cluster.ok(
        "a",
        &["data-dirs"],
        &[("DATA_DIRS", "grafana:473 postgres:-")],
    )?;
    let grafana = std::fs::metadata(cluster.export("a").join("grafana"))?;
    let postgres = std::fs::metadata(cluster.export("a").join("postgres"))?;
    expect(grafana.uid() == 473, "grafana's new owner was not applied")?;
    expect(postgres.uid() == 999, "postgres's directory was taken back")
}

fn older_configuration() -> Result<(), Failed> {
    // b serves generation 2; then its previous configuration is booted.
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    cluster.ok("b", &["promote"], &[("GENERATION", "2")])?;
    cluster.write("b", "data", "v2")?;
    let log = cluster.refused("b", &["demote"], &[("GENERATION", "1")])?;
    expect(log.contains("refusing"), "no reason given")?;
    cluster.refused("b", &["promote"], &[("GENERATION", "1")])?;
    expect(
        cluster.read("b", "data")? == "v2",
        "the served export was moved",
    )
}

fn clock_gone_back() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    std::fs::write(cluster.dir.path().join("clock"), "-5")?;
    let log = cluster.refused("a", &["snapshot"], &[])?;
    expect(log.contains("clock"), "no reason given")?;
    let kept = entries(&cluster.path("a", "persist"))?
        .into_iter()
        .filter(|name| name.starts_with("services@"))
        .count();
    expect(kept >= 1, "the newest snapshot was pruned")
}

fn stray_file() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    std::fs::create_dir(cluster.received("b").join("lost+found"))?;
    cluster.first_primary()?;
    let received = entries(&cluster.received("b"))?;
    expect(received.len() == 2, &format!("b holds {received:?}"))
}

fn removed_standby() -> Result<(), Failed> {
    let cluster = Cluster::new()?;
    cluster.first_primary()?;
    // b leaves the inventory: its parent no longer keeps a snapshot.
    let gone = [("STANDBYS", "")];
    cluster.write("a", "data", "v2")?;
    cluster.ok("a", &["snapshot"], &gone)?;
    cluster.ok("a", &["snapshot"], &gone)?;
    let own = entries(&cluster.path("a", "persist"))?
        .into_iter()
        .filter(|name| name.starts_with("services@"))
        .count();
    expect(own == 1, &format!("the primary kept {own} snapshots"))?;
    expect(
        !cluster.path("a", "state/b.parent").exists(),
        "b's state was kept",
    )
}
