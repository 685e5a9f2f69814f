//! Changes to the example inventory that `gen plan` is judged on, shared by
//! the golden plans (`tests/plan.rs`) and their shellcheck (`tests/data/shell.rs`).

use std::path::{Path, PathBuf};
use std::process::Output;

/// A named change: the example's text, edited.
pub struct Scenario {
    pub name: &'static str,
    pub edits: &'static [(&'static str, &'static str)],
}

/// One of each kind of change a rollout must order.
pub const SCENARIOS: [Scenario; 7] = [
    Scenario {
        name: "role_change",
        edits: &[(
            "    address: 10.0.0.13\n    roles: [cluster-member, nomad-worker, nomad-server]",
            "    address: 10.0.0.13\n    roles: [cluster-member, nomad-worker, nomad-server, monitoring-node]",
        )],
    },
    Scenario {
        name: "new_host",
        edits: &[(
            "  # Workers; zippy holds the services disk, sparky its standby.\n",
            "  # Workers; zippy holds the services disk, sparky its standby.\n  w4:\n    age_key: age1s7wvv75yddtscsjp7xyq770xa5tyd27eajjy3qnc9jmv33tg4dfsdwgncn\n    address: 10.0.0.24\n    roles: [cluster-member, nomad-worker]\n",
        )],
    },
    Scenario {
        name: "nfs_failover",
        edits: &[(
            "    primary: zippy\n    standbys: [sparky]\n",
            "    generation: 2\n    primary: sparky\n    standbys: [zippy]\n",
        )],
    },
    Scenario {
        name: "service_change",
        edits: &[
            ("grafana/grafana:11.3.0", "grafana/grafana:11.4.0"),
            (
                "traefik/whoami:v1.10.3\n",
                "traefik/whoami:v1.10.3\n    count: 3\n",
            ),
        ],
    },
    Scenario {
        name: "quorum_change",
        edits: &[
            (
                "    address: 10.0.0.13\n    roles: [cluster-member, nomad-worker, nomad-server]",
                "    address: 10.0.0.13\n    roles: [cluster-member, nomad-worker]",
            ),
            (
                "    roles: [cluster-member, cluster-tools, monitoring-node]",
                "    roles: [cluster-member, cluster-tools, monitoring-node, nomad-server]",
            ),
        ],
    },
    Scenario {
        name: "global_change",
        edits: &[(
            "  time_zone: Europe/Berlin\n",
            "  time_zone: Europe/Paris\n",
        )],
    },
    Scenario {
        name: "kernel_change",
        edits: &[
            (
                "      networking.networkmanager.enable: true\n",
                "      networking.networkmanager.enable: true\n      boot.kernelParams: [quiet]\n",
            ),
            (
                "    boot_loader: extlinux\n",
                "    boot_loader: extlinux\n    nix:\n      boot.kernelParams: [\"console=ttyS0,115200\"]\n",
            ),
            (
                "    address: 10.0.0.12\n",
                "    address: 10.0.0.12\n    nix:\n      boot.kernelParams: [quiet]\n",
            ),
            (
                "    address: 10.0.0.22\n",
                "    address: 10.0.0.22\n    nix:\n      boot.kernelParams: [quiet]\n",
            ),
        ],
    },
];

/// The repository root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Scenario {
    /// The example and its edited copy as `before.yaml` and `inventory.yaml`
    /// in `dir`, with the edited one rendered into `dir/generated`.
    pub fn write(&self, dir: &Path) {
        let example = std::fs::read_to_string(root().join("inventory.yaml")).expect("example");
        let mut edited = example.clone();
        for (from, to) in self.edits {
            assert!(
                edited.contains(from),
                "{}: `{from}` is not in the example",
                self.name
            );
            edited = edited.replacen(from, to, 1);
        }
        std::fs::write(dir.join("before.yaml"), example).expect("write before.yaml");
        std::fs::write(dir.join("inventory.yaml"), edited).expect("write inventory.yaml");
        let render = run_gen(dir, &["render", "--quiet"]);
        assert!(
            render.status.success(),
            "{}: {}",
            self.name,
            String::from_utf8_lossy(&render.stderr)
        );
    }
}

/// `gen plan --before before.yaml` in `dir`, with `extra` arguments.
pub fn plan(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["plan", "--before", "before.yaml"];
    args.extend(extra);
    run_gen(dir, &args)
}

/// `gen ARGS` in `dir`, with a cache of its own.
pub fn run_gen(dir: &Path, args: &[&str]) -> Output {
    crate::support::gen_command()
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", dir.join(".cache"))
        .output()
        .expect("run gen")
}
