//! Nomad's job specification, as far as gen writes it: every block and field a
//! generated job file may hold, and nothing else. The check stage decodes each
//! job file into these types, so a field misspelt or in the wrong block, a
//! value of the wrong type, or a reference to a port the group does not declare
//! fails before anything is written. Names follow Nomad's job specification.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A job file: one `job` block.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    pub job: BTreeMap<String, Job>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub datacenters: Vec<String>,
    #[serde(rename = "type")]
    pub kind: JobType,
    pub periodic: Option<Periodic>,
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    pub affinity: Option<Affinity>,
    pub constraint: Option<Constraint>,
    pub group: BTreeMap<String, Group>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Periodic {
    pub crons: Vec<String>,
    pub prohibit_overlap: bool,
    pub time_zone: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobType {
    Service,
    Batch,
    System,
    Sysbatch,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affinity {
    pub attribute: String,
    pub operator: AffinityOperator,
    pub value: String,
    pub weight: i8,
}

#[derive(Debug, Deserialize)]
pub enum AffinityOperator {
    #[serde(rename = "=")]
    Equal,
    #[serde(rename = "!=")]
    NotEqual,
    #[serde(rename = "set_contains")]
    SetContains,
    #[serde(rename = "set_contains_any")]
    SetContainsAny,
    #[serde(rename = "regexp")]
    Regexp,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub count: Option<u32>,
    pub constraint: Option<Constraint>,
    pub update: Option<Update>,
    pub restart: Restart,
    pub reschedule: Option<Reschedule>,
    pub disconnect: Option<Disconnect>,
    pub ephemeral_disk: Option<EphemeralDisk>,
    pub network: Option<Network>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub service: Vec<Service>,
    pub task: BTreeMap<String, Task>,
}

/// A block that may appear once or several times: HCL decodes one as an
/// object and several as a list.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    // Through a value, so a block that does not decode says why.
    let value = hcl::Value::deserialize(deserializer)?;
    let decoded = match value {
        hcl::Value::Array(items) => items.into_iter().map(hcl::from_value).collect(),
        one => hcl::from_value(one).map(|item| vec![item]),
    };
    decoded.map_err(serde::de::Error::custom)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    pub attribute: String,
    pub operator: AffinityOperator,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disconnect {
    pub lost_after: Option<String>,
    pub stop_on_client_after: Option<String>,
    pub replace: Option<bool>,
    pub reconcile: Option<Reconcile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reconcile {
    BestScore,
    LongestRunning,
    KeepOriginal,
    KeepReplacement,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EphemeralDisk {
    pub sticky: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub max_parallel: u32,
    pub health_check: Option<HealthCheck>,
    pub min_healthy_time: Option<String>,
    pub healthy_deadline: Option<String>,
    pub progress_deadline: Option<String>,
    pub auto_revert: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheck {
    Checks,
    TaskStates,
    Manual,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restart {
    pub attempts: u32,
    pub interval: String,
    pub delay: String,
    pub mode: RestartMode,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartMode {
    Fail,
    Delay,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub attempts: Option<u32>,
    pub interval: Option<String>,
    pub delay: String,
    pub delay_function: DelayFunction,
    pub max_delay: String,
    pub unlimited: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DelayFunction {
    Constant,
    Exponential,
    Fibonacci,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub port: BTreeMap<String, Port>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    #[serde(rename = "static")]
    pub fixed: Option<u16>,
    pub to: Option<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub name: String,
    pub port: String,
    pub provider: Provider,
    #[serde(default)]
    pub tags: Vec<String>,
    pub check: Option<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Consul,
    Nomad,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    #[serde(rename = "type")]
    pub kind: CheckType,
    pub port: Option<String>,
    pub path: Option<String>,
    pub interval: String,
    pub timeout: String,
    pub check_restart: Option<CheckRestart>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRestart {
    pub limit: u32,
    pub grace: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CheckType {
    Tcp,
    Http,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    pub driver: Driver,
    pub user: Option<String>,
    pub kill_timeout: Option<String>,
    pub config: DockerConfig,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub template: Vec<Template>,
    pub resources: Resources,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    Docker,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerConfig {
    pub image: String,
    pub network_mode: Option<NetworkMode>,
    #[serde(default)]
    pub ports: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub devices: Vec<Device>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub host_path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub destination: String,
    #[serde(default)]
    pub env: bool,
    pub perms: Option<String>,
    pub error_on_missing_key: bool,
    pub data: String,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    Host,
    Bridge,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub cpu: u32,
    pub memory: u32,
    pub memory_max: Option<u32>,
}

/// What is wrong with a job file's text: it does not decode into the job
/// specification, or it names a port its group does not declare.
pub fn problem(text: &str) -> Option<String> {
    let file: JobFile = match hcl::from_str(text) {
        Ok(file) => file,
        Err(error) => return Some(format!("not a job gen writes: {error}")),
    };
    if file.job.len() != 1 {
        return Some(format!("{} jobs in one file", file.job.len()));
    }
    file.job.values().find_map(|job| {
        shape_of_kind(job).or_else(|| {
            job.group
                .iter()
                .find_map(|(name, group)| undeclared_port(name, group))
        })
    })
}

/// What Nomad refuses for the job's type: a schedule outside a batch job, an
/// `update` in one, a `count` above 1 or a `reschedule` in a system job.
fn shape_of_kind(job: &Job) -> Option<String> {
    let batch = matches!(job.kind, JobType::Batch | JobType::Sysbatch);
    if job.periodic.is_some() && !batch {
        return Some("a `periodic` block in a job that is not a batch job".to_owned());
    }
    job.group.iter().find_map(|(name, group)| {
        if batch && group.update.is_some() {
            Some(format!(
                "group `{name}` of a batch job has an `update` block"
            ))
        } else if matches!(job.kind, JobType::System) && group.count.is_some_and(|count| count > 1)
        {
            Some(format!(
                "group `{name}` of a system job has a count above 1"
            ))
        } else if matches!(job.kind, JobType::System | JobType::Sysbatch)
            && group.reschedule.is_some()
        {
            Some(format!(
                "group `{name}` of a system job has a `reschedule` block"
            ))
        } else {
            disconnect_problem(name, &job.kind, group.disconnect.as_ref()?)
        }
    })
}

/// What Nomad refuses in a `disconnect` block: both ways of ending it, or a
/// client-side stop in a system job.
fn disconnect_problem(name: &str, kind: &JobType, disconnect: &Disconnect) -> Option<String> {
    let stops = disconnect.stop_on_client_after.is_some();
    if stops && disconnect.lost_after.is_some() {
        Some(format!(
            "group `{name}` sets both `lost_after` and `stop_on_client_after`"
        ))
    } else if stops && matches!(kind, JobType::System | JobType::Sysbatch) {
        Some(format!(
            "group `{name}` of a system job has `stop_on_client_after`"
        ))
    } else {
        None
    }
}

/// A port the group's service, check or tasks use without declaring it.
fn undeclared_port(name: &str, group: &Group) -> Option<String> {
    let declared = |label: &String| {
        group
            .network
            .as_ref()
            .is_some_and(|network| network.port.contains_key(label))
    };
    let service = group.service.iter().flat_map(|service| {
        std::iter::once(&service.port)
            .chain(service.check.iter().filter_map(|check| check.port.as_ref()))
    });
    let tasks = group.task.values().flat_map(|task| &task.config.ports);
    service
        .chain(tasks)
        .find(|label| !declared(label))
        .map(|label| {
            format!("group `{name}` uses port `{label}`, which its network does not declare")
        })
}

#[cfg(test)]
mod tests {
    use super::problem;

    const JOB: &str = r#"
job "web" {
  datacenters = ["lab"]
  type = "service"
  group "web" {
    count = 1
    update {
      max_parallel = 1
      health_check = "checks"
      min_healthy_time = "10s"
      healthy_deadline = "5m"
      progress_deadline = "10m"
      auto_revert = true
    }
    restart {
      attempts = 3
      interval = "10m"
      delay = "15s"
      mode = "fail"
    }
    reschedule {
      delay = "30s"
      delay_function = "exponential"
      max_delay = "10m"
      unlimited = true
    }
    network {
      port "http" {
        static = 8080
      }
    }
    service {
      name = "web"
      port = "http"
      provider = "consul"
    }
    task "web" {
      driver = "docker"
      config {
        image = "nginx:1.27"
        ports = ["http"]
      }
      resources {
        cpu = 100
        memory = 128
      }
    }
  }
}
"#;

    #[test]
    fn a_job_gen_writes_decodes() {
        assert_eq!(problem(JOB), None);
    }

    #[test]
    fn a_field_in_the_wrong_block_is_refused() {
        let misplaced = JOB.replace("count = 1", "count = 1\n    image = \"x\"");
        assert!(problem(&misplaced).is_some_and(|problem| problem.contains("image")));
    }

    #[test]
    fn a_misspelt_field_or_value_is_refused() {
        assert!(problem(&JOB.replace("static = 8080", "statik = 8080")).is_some());
        assert!(problem(&JOB.replace("provider = \"consul\"", "provider = \"consol\"")).is_some());
        assert!(problem(&JOB.replace("cpu = 100", "cpu = \"100\"")).is_some());
    }

    #[test]
    fn what_the_job_type_forbids_is_refused() {
        let periodic = "  periodic {\n    crons = [\"@daily\"]\n    prohibit_overlap = true\n    time_zone = \"UTC\"\n  }\n";
        let service_with_schedule = JOB.replace(
            "  group \"web\" {",
            &format!("{periodic}  group \"web\" {{"),
        );
        assert!(
            problem(&service_with_schedule).is_some_and(|problem| problem.contains("periodic"))
        );
        let batch_with_update = JOB.replace("type = \"service\"", "type = \"batch\"");
        assert!(problem(&batch_with_update).is_some_and(|problem| problem.contains("update")));
        let system_with_reschedule = JOB
            .replace("type = \"service\"", "type = \"system\"")
            .replace("count = 1", "");
        let refused = problem(&system_with_reschedule);
        assert!(
            refused
                .as_deref()
                .is_some_and(|problem| problem.contains("reschedule")),
            "{refused:?}"
        );
    }

    const SECOND_SERVICE: &str = "    service {\n      name = \"web-metrics\"\n      port = \"metrics\"\n      provider = \"consul\"\n    }\n    task";

    #[test]
    fn several_services_decode_and_each_port_is_checked() {
        let declared = JOB
            .replace(
                "        static = 8080\n      }",
                "        static = 8080\n      }\n      port \"metrics\" {}",
            )
            .replacen("    task", SECOND_SERVICE, 1);
        assert_eq!(problem(&declared), None);
        let undeclared = JOB.replacen("    task", SECOND_SERVICE, 1);
        assert!(problem(&undeclared).is_some_and(|problem| problem.contains("metrics")));
    }

    #[test]
    fn a_disconnect_nomad_refuses_is_refused() {
        let both = JOB.replace(
            "    network {",
            "    disconnect {\n      lost_after = \"1h\"\n      stop_on_client_after = \"1m\"\n    }\n    network {",
        );
        assert!(problem(&both).is_some_and(|problem| problem.contains("lost_after")));
        let in_system_job = JOB
            .replace("type = \"service\"", "type = \"system\"")
            .replace("count = 1", "")
            .replace(
                "    reschedule {\n      delay = \"30s\"\n      delay_function = \"exponential\"\n      max_delay = \"10m\"\n      unlimited = true\n    }",
                "    disconnect {\n      stop_on_client_after = \"1m\"\n    }",
            );
        let refused = problem(&in_system_job);
        assert!(
            refused
                .as_deref()
                .is_some_and(|problem| problem.contains("system job")),
            "{refused:?}"
        );
    }

    #[test]
    fn an_undeclared_port_is_refused() {
        let undeclared = JOB.replace("port = \"http\"", "port = \"admin\"");
        assert!(problem(&undeclared).is_some_and(|problem| problem.contains("admin")));
    }
}
