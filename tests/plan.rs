//! `gen plan`: the rollout of each kind of change to the example, as golden
//! scripts, and the facts each must hold whatever its wording.

#[path = "plan_scenarios.rs"]
mod scenarios;

use scenarios::{SCENARIOS, Scenario, run_gen as run};
use serde_json::Value;

use crate::support::root;

fn scenario(name: &str) -> &'static Scenario {
    SCENARIOS
        .iter()
        .find(|scenario| scenario.name == name)
        .expect("scenario")
}

/// The JSON plan of a scenario.
fn json_plan(name: &str) -> Value {
    let dir = tempfile::tempdir().expect("temporary directory");
    let scenario = scenario(name);
    scenario.write(dir.path());
    let output = scenarios::plan(dir.path(), &["--format", "json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON plan")
}

fn names(values: &Value, key: &str) -> Vec<String> {
    values[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|item| item["name"].as_str().expect("name").to_owned())
        .collect()
}

/// Each batch's hosts, in order.
fn batch_hosts(plan: &Value) -> Vec<Vec<String>> {
    plan["plan"]["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .map(|batch| {
            batch["hosts"]
                .as_array()
                .expect("hosts")
                .iter()
                .map(|host| host.as_str().expect("host").to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn golden_plans() {
    for scenario in &SCENARIOS {
        let dir = tempfile::tempdir().expect("temporary directory");
        scenario.write(dir.path());
        let output = scenarios::plan(dir.path(), &[]);
        assert!(
            output.status.success(),
            "{}: {}",
            scenario.name,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.stderr.is_empty(),
            "{}: {}",
            scenario.name,
            String::from_utf8_lossy(&output.stderr)
        );
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(root().join("tests/snapshots/plan"));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        let script = String::from_utf8(output.stdout).expect("UTF-8");
        settings.bind(|| insta::assert_snapshot!(scenario.name, script));
    }
}

#[test]
fn a_global_change_keeps_the_quorum() {
    let plan = json_plan("global_change");
    let hosts = names(&plan["plan"], "hosts");
    assert_eq!(
        hosts,
        [
            "bastion", "c1", "c2", "c3", "desk", "lab", "pi", "sparky", "zippy"
        ]
    );
    let batches = batch_hosts(&plan);
    // One quorum member at a time, first; the standby before the primary.
    assert_eq!(batches[..3], [vec!["c1"], vec!["c2"], vec!["c3"]]);
    assert_eq!(batches[3..5], [vec!["sparky"], vec!["zippy"]]);
    let steps = plan["plan"]["batches"][0]["steps"].to_string();
    assert!(
        steps.contains("retry cluster_healthy")
            && steps.contains("drain c1")
            && steps.contains("retry server_healthy c1"),
        "{steps}"
    );
    let primary = plan["plan"]["batches"][4]["steps"].to_string();
    assert!(
        primary.find("stop_job postgres") < primary.find("deploy --skip-checks"),
        "{primary}"
    );
    assert_eq!(
        batches.last().expect("a batch"),
        &["bastion", "desk", "lab", "pi"]
    );
}

#[test]
fn a_service_change_touches_jobs_alone() {
    let plan = json_plan("service_change");
    assert_eq!(names(&plan["plan"], "hosts"), Vec::<String>::new());
    let jobs = &plan["plan"]["jobs"];
    assert_eq!(names(&plan["plan"], "jobs"), ["grafana", "whoami"]);
    assert_eq!(jobs[0]["effect"], "replace");
    assert_eq!(jobs[0]["fields"], serde_json::json!(["task.config"]));
    assert_eq!(jobs[1]["effect"], "scale");
    assert_eq!(batch_hosts(&plan), [Vec::<String>::new()]);
}

#[test]
fn a_kernel_change_reboots_in_batches() {
    let plan = json_plan("kernel_change");
    let hosts = plan["plan"]["hosts"].as_array().expect("hosts");
    let rebooting: Vec<&str> = hosts
        .iter()
        .filter(|host| !host["reboot"].as_array().expect("reboot").is_empty())
        .map(|host| host["name"].as_str().expect("name"))
        .collect();
    assert_eq!(rebooting, ["c2", "desk", "pi", "sparky"]);
    let script = plan["script"].as_str().expect("script");
    assert!(script.contains("deploy --skip-checks --boot './generated#c2'\nreboot_host -o BatchMode=yes -- admin@10.0.0.12\nretry server_healthy c2"), "{script}");
    assert!(
        script
            .contains("deploy --skip-checks --boot --targets './generated#desk' './generated#pi'"),
        "{script}"
    );
}

#[test]
fn a_failover_follows_its_runbook() {
    let plan = json_plan("nfs_failover");
    let batches = batch_hosts(&plan);
    assert_eq!(batches[0], ["sparky", "zippy"], "the share moves first");
    let steps: Vec<String> = plan["plan"]["batches"][0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| step.as_str().expect("step").to_owned())
        .collect();
    let at = |needle: &str| {
        steps
            .iter()
            .position(|step| step.contains(needle))
            .unwrap_or_else(|| panic!("no `{needle}` in {steps:#?}"))
    };
    assert!(at("stop_job grafana") < at("replicate-services-to-sparky"));
    let send = &steps[at("replicate-services-to-sparky")];
    assert!(send.find("start nfs-services-snapshot") < send.find("replicate-services-to-sparky"));
    assert!(send.find("replicate-services-to-sparky") < send.find("stop nfs-server.service"));
    assert!(at("stop nfs-server.service") < at("'./generated#sparky'"));
    assert!(at("'./generated#sparky'") < at("'./generated#zippy'"));
    let script = plan["script"].as_str().expect("script");
    assert!(
        script.find("restart data-services.automount")
            < script.find("nomad job run generated/services/grafana.hcl")
    );
}

#[test]
fn a_server_leaves_the_quorum_alone_and_a_new_one_joins_alone() {
    let plan = json_plan("quorum_change");
    let batches = &plan["plan"]["batches"];
    let steps_of = |host: &str| -> String {
        batches
            .as_array()
            .expect("batches")
            .iter()
            .find(|batch| batch["hosts"] == serde_json::json!([host]))
            .unwrap_or_else(|| panic!("no batch of {host} alone: {batches}"))["steps"]
            .to_string()
    };
    let demoted = steps_of("c3");
    assert!(
        demoted.find("raft remove-peer -address=10.0.0.13:8300") < demoted.find("deploy"),
        "{demoted}"
    );
    assert!(
        demoted.contains("nomad operator raft remove-peer -peer-address=10.0.0.13:4647"),
        "{demoted}"
    );
    let promoted = steps_of("bastion");
    assert!(!promoted.contains("drain bastion"), "{promoted}");
    assert!(
        promoted.find("retry cluster_healthy") < promoted.find("deploy"),
        "{promoted}"
    );
    assert!(
        promoted.contains("retry server_healthy bastion"),
        "{promoted}"
    );
}

#[test]
fn a_new_host_is_deployed_without_a_drain() {
    let plan = json_plan("new_host");
    let hosts = plan["plan"]["hosts"].as_array().expect("hosts");
    let new = hosts.iter().find(|host| host["name"] == "w4").expect("w4");
    assert_eq!(new["change"], "added");
    let script = plan["script"].as_str().expect("script");
    assert!(!script.contains("drain w4"), "{script}");
    assert!(script.contains("'./generated#w4'"), "{script}");
}

#[test]
fn since_reads_the_inventory_from_git() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let scenario = scenario("role_change");
    scenario.write(dir.path());
    let from_file = scenarios::plan(dir.path(), &[]);
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir.path())
            .status()
            .expect("git");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::rename(
        dir.path().join("inventory.yaml"),
        dir.path().join("edited.yaml"),
    )
    .expect("rename");
    std::fs::rename(
        dir.path().join("before.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .expect("rename");
    git(&["add", "inventory.yaml"]);
    git(&["commit", "-q", "-m", "before"]);
    std::fs::rename(
        dir.path().join("edited.yaml"),
        dir.path().join("inventory.yaml"),
    )
    .expect("rename");
    let from_git = run(dir.path(), &["plan"]);
    assert!(
        from_git.status.success(),
        "{}",
        String::from_utf8_lossy(&from_git.stderr)
    );
    let body = |output: &std::process::Output| {
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .skip(2)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&from_git), body(&from_file));
    assert!(String::from_utf8_lossy(&from_git.stdout).contains("since HEAD"));
    let unknown = run(dir.path(), &["plan", "--since", "no-such-revision"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("cli::previous"));
}

#[test]
fn no_change_is_an_empty_plan() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let example = std::fs::read_to_string(root().join("inventory.yaml")).expect("example");
    std::fs::write(dir.path().join("inventory.yaml"), &example).expect("write");
    std::fs::write(dir.path().join("before.yaml"), &example).expect("write");
    let output = run(
        dir.path(),
        &[
            "plan",
            "--before",
            "before.yaml",
            "--out",
            &root().join("generated").display().to_string(),
        ],
    );
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).ends_with("# Nothing running changes.\n"));
}

#[test]
fn run_refuses_an_output_that_is_not_rendered() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let scenario = scenario("role_change");
    scenario.write(dir.path());
    std::fs::write(dir.path().join("generated/flake.nix"), "{ }").expect("write");
    let output = scenarios::plan(dir.path(), &["--run"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cli::out-of-date"));
}
