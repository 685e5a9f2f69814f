//! Every diagnostic code gen reports, in one table: its stable name, its
//! severity, the one line that documents it and, where the fix never depends on
//! the inventory, its hint. `docs/diagnostics.md` is generated from this table
//! (`cargo test` checks it and prints the expected table when they differ).

use std::fmt::Write;

use super::Severity;

macro_rules! codes {
    ($($variant:ident $name:literal $severity:ident $summary:literal $(hint $hint:literal)?;)*) => {
        /// A stable diagnostic code, `family::rule`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The stable name, e.g. `hosts::invalid-address`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Self::$variant => Severity::$severity,)*
                }
            }

            /// One line saying what the code is reported for.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Self::$variant => $summary,)*
                }
            }

            /// The fix, when it is the same whatever the inventory says.
            pub fn hint(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => codes!(@hint $($hint)?),)*
                }
            }
        }
    };
    (@hint $hint:literal) => { Some($hint) };
    (@hint) => { None };
}

codes! {
    YamlSyntax "yaml::syntax" Error "the file is not YAML";
    YamlUnknownKey "yaml::unknown-key" Error "a key gen does not know (with the closest known key)";
    YamlUnknownValue "yaml::unknown-value" Error "a value outside a fixed set, e.g. `system` (with the closest one)";
    YamlMissingKey "yaml::missing-key" Error "a required key is absent";
    YamlWrongType "yaml::wrong-type" Error "e.g. a string where a list belongs";
    YamlInvalidValue "yaml::invalid-value" Error "e.g. a port beyond 65535";
    YamlDuplicateKey "yaml::duplicate-key" Error "a key twice in one mapping, which YAML would silently collapse"
        hint "keep one of them: YAML would silently drop the other";
    YamlEmpty "yaml::empty" Error "nothing but comments"
        hint "start from `cluster:` and `hosts:`; see docs/inventory.md";
    YamlNotUtf8 "yaml::not-utf8" Error "bytes that are not UTF-8"
        hint "save the file as UTF-8";
    YamlTooLarge "yaml::too-large" Error "more than 16 MiB"
        hint "an inventory describes hosts and services, not data: move large values to files, or raise the budget with `--max-inventory-bytes`";
    YamlUnknownTag "yaml::unknown-tag" Error "a YAML tag gen does not read (`!foo`), whose value would be taken as plain text"
        hint "remove the tag: gen reads plain YAML values (only the core `!!str`, `!!int`, … tags are allowed)";
    YamlNul "yaml::nul" Error "a NUL character in a key or value, which Nix strings, HCL and the shell cannot hold"
        hint "remove the `\\0`: no generated file can carry it";
    YamlBudget "yaml::budget" Error "nesting deeper than 32, more than 1000 aliases or anchors, or more than one document"
        hint "inventories are small: deep nesting or many aliases are not needed";
    NameInvalidHost "name::invalid-host" Error "a host name that is not a DNS label"
        hint "use lowercase letters, digits and `-`, at most 63 characters: the name becomes a file name, a Nix attribute and a host name";
    NameInvalidService "name::invalid-service" Error "a service name that is not a DNS label"
        hint "use lowercase letters, digits and `-`, at most 63 characters: the name becomes a file name, a Nix attribute and a Nomad job name";
    NameReserved "name::reserved" Error "a name with a meaning of its own (`common`, `nfs-services`, roles, profiles, `nfs-primary`, …)"
        hint "roles, profiles, `nfs-primary` and `common` have a meaning of their own: pick another name";
    NameConsulClash "name::consul-clash" Error "a service named like a Consul service the cluster registers"
        hint "Consul would resolve both under one name: rename the service";
    RolesUnknownRole "roles::unknown-role" Error "a role gen does not know (with the closest one)";
    RolesProfileAsRole "roles::profile-as-role" Error "`workstation` or `desktop` listed as a role";
    RolesNeedsMember "roles::needs-member" Error "a role that runs on the Consul agent (`nomad-worker`, `nomad-server`, `cluster-tools`, …) without `cluster-member`"
        hint "add `cluster-member` to this host's roles";
    RolesDuplicateRole "roles::duplicate-role" Error "a role listed twice on a host"
        hint "remove the repetition";
    RolesNoQuorum "roles::no-quorum" Error "cluster members but no `nomad-server`"
        hint "give 3 hosts (or 5) `nomad-server`, the Consul and Nomad servers";
    RolesSingleServer "roles::single-server" Warning "one quorum member: no fault tolerance (warning)"
        hint "one server survives no failure: 3 survive one, 5 survive two";
    RolesQuorumEven "roles::quorum-even" Error "an even number of quorum members, which Raft cannot use";
    RolesQuorumLarge "roles::quorum-large" Warning "more than 5 quorum members (warning)"
        hint "every write waits for a majority: more than 5 servers slow the cluster; use 3 or 5";
    RolesNfsRoleMismatch "roles::nfs-role-mismatch" Error "a host declares an NFS role `storage.services` does not give it";
    RolesNfsHostNeedsWorker "roles::nfs-host-needs-worker" Error "the NFS primary or a standby is not a cluster member and worker"
        hint "the NFS primary and standbys run jobs next to their disk: give them both roles";
    RolesPrimaryIsStandby "roles::primary-is-standby" Error "the primary is listed among its standbys"
        hint "the primary replicates to each standby once, and never to itself";
    RolesDuplicateStandby "roles::duplicate-standby" Error "a standby listed twice"
        hint "the primary replicates to each standby once, and never to itself";
    HostsUnmanagedWithRoles "hosts::unmanaged-with-roles" Error "roles on an unmanaged host"
        hint "remove its roles, or set `managed: true` to let gen configure it";
    HostsUnmanagedWithoutAddress "hosts::unmanaged-without-address" Error "an unmanaged host without address"
        hint "give it an `address`: other hosts mount and back up to it by address";
    HostsUnmanagedWithConfig "hosts::unmanaged-with-config" Error "a profile, modules or option values on an unmanaged host"
        hint "these configure NixOS, which gen does not generate for an unmanaged host: remove them";
    HostsInvalidAddress "hosts::invalid-address" Error "an address that is neither an IP nor a DNS name"
        hint "write an IPv4 or IPv6 address, or a DNS name such as `c1.home.arpa`, without port or scheme";
    HostsDuplicateAddress "hosts::duplicate-address" Error "two hosts with one address"
        hint "each host needs its own address: deploy-rs and the cluster reach hosts by it";
    HostsMemberWithoutIp "hosts::member-without-ip" Error "a cluster member without an IP address, which its Consul agent binds to"
        hint "give it an IP `address`: its Consul agent binds to it, and a name leaves Consul to pick among Docker's and the LAN's addresses";
    HostsUnbindableAddress "hosts::unbindable-address" Error "a loopback, unspecified or multicast address on a cluster member"
        hint "give the member the address it has on the LAN: other hosts reach it and its agents bind to it";
    HostsInvalidOptionPath "hosts::invalid-option-path" Error "a `nix` key that is not an option path (an empty segment, a stray quote)"
        hint "write identifiers separated by dots, quoting a name that has a dot: `services.nginx.virtualHosts.\"example.org\".root`";
    HostsNixDuplicate "hosts::nix-duplicate" Error "one option set twice in `nix` (flat and nested, or a value and options below it)"
        hint "set each option once: Nix refuses an attribute defined twice";
    HostsInvalidModulePath "hosts::invalid-module-path" Error "a module path that is absolute, bare, or leaves the flake"
        hint "write a path relative to the host's directory, such as `./monitoring.nix` or `../../modules/x.nix`, inside the output directory";
    HostsNixNumber "hosts::nix-number" Error "a number in `nix` that Nix cannot hold (beyond 64-bit integers, or a float too small)"
        hint "Nix integers are 64-bit signed and floats must be normal doubles: write a smaller number, or a string if the option takes one";
    HostsNixConflict "hosts::nix-conflict" Error "a `nix` value for an option the host file sets itself (`networking.hostName`, `cluster.*`, …)"
        hint "the inventory decides it (address, roles, storage); to override it anyway, use `lib.mkForce` in a hand-written module listed under `modules`";
    ClusterNoAdminKeys "cluster::no-admin-keys" Error "an admin without SSH key, who could never log in"
        hint "add at least one public key: accounts have no passwords, and deploy-rs logs in with it";
    ClusterInvalidName "cluster::invalid-name" Error "a cluster name or datacenter Consul and Nomad refuse (`[a-z0-9_-]`)"
        hint "use lowercase letters, digits, `_` and `-`: Consul and Nomad take the name as their datacenter";
    ClusterInvalidDomain "cluster::invalid-domain" Error "a domain that is not a DNS name (a scheme, a port, a space, an empty label)"
        hint "write a DNS name such as `home.arpa`: labels of letters, digits and `-`, separated by dots";
    ClusterInvalidAdminUser "cluster::invalid-admin-user" Error "an admin user name NixOS and OpenSSH would refuse"
        hint "use at most 32 lowercase letters, digits, `_` and `-`, starting with a letter or `_`";
    GroupInvalidName "group::invalid-name" Error "a group name that is not a DNS label, or that a host, a role or `nfs-primary` already has"
        hint "a group's name is what `prefer` names: lowercase letters, digits and `-`, and no host's or role's name";
    GroupUnknownMember "group::unknown-member" Error "a group member that names no host, or a pattern that matches none or does not compile";
    GroupConflict "group::conflict" Error "two groups that give one host different values for one setting";
    GroupTooMany "group::too-many" Error "a host that more than 64 groups name"
        hint "a host's settings should be few enough to read: merge groups, or narrow their patterns";
    ClusterInvalidSshUser "cluster::invalid-ssh-user" Error "a deploy `ssh_user` that is not a user name: ssh would read it as an option or another host"
        hint "use at most 32 lowercase letters, digits, `_` and `-`, starting with a letter or `_`; ssh options go in `ssh_opts`";
    ClusterInvalidTimeZone "cluster::invalid-time-zone" Error "a time zone that is not in the IANA database"
        hint "use an IANA name such as `Europe/Berlin` or `UTC` (`timedatectl list-timezones` lists them)";
    ReferenceUnknownHost "reference::unknown-host" Error "storage or backup names a host that does not exist";
    ReferenceUnmanagedNfsHost "reference::unmanaged-nfs-host" Error "the NFS primary or a standby is unmanaged"
        hint "the primary and standbys run generated NixOS modules: they must be managed hosts";
    ReferenceUnknownPlacement "reference::unknown-placement" Error "`prefer` or `require` names no host, role or group, or `nfs-primary` without a share";
    ReferencePlacementWithoutWorkers "reference::placement-without-workers" Error "`prefer` or `require` names a host, role or group that no Nomad worker is: the job would wait forever"
        hint "name a worker, a role or group workers have, or `nfs-primary`";
    ReferencePlacementMatchesAll "reference::placement-matches-all" Warning "`prefer` matches every Nomad worker, so it prefers nothing (warning)"
        hint "remove `prefer`, or name a host, role or group that only some workers have";
    StorageRelativePath "storage::relative-path" Error "a storage, persist or backup path that is not absolute"
        hint "write the full path from `/`, without `..`";
    StorageMountClash "storage::mount-clash" Error "two shares mounted at one path, or one inside the other"
        hint "mount each share at its own path";
    StorageInvalidMountPoint "storage::invalid-mount-point" Error "a mount point that is `/`, the persistent root, a system directory (`/nix`, `/boot`, …) or ends in `/`"
        hint "mount each share on a directory of its own, such as `/data/media`";
    StorageInvalidConsulService "storage::invalid-consul-service" Error "a Consul service name for the share that is not a DNS label"
        hint "use lowercase letters, digits and `-`: the name is resolved as `<name>.service.consul` and reaches the NFS guard's script";
    StorageInvalidShareName "storage::invalid-share-name" Error "a CIFS share name with a space, a quote, `$` or another character fstab and SMB cannot carry"
        hint "use the share's name as the server lists it: letters, digits, `.`, `_` and `-`";
    StorageUnsafePath "storage::unsafe-path" Error "a storage path with characters beyond letters, digits, `.`, `_`, `-`, `/`"
        hint "use letters, digits, `.`, `_`, `-` and `/`: the path reaches shell scripts and /etc/exports";
    StorageInvalidInterval "storage::invalid-interval" Error "a replication interval outside 1–59 minutes"
        hint "use 1 to 59 minutes: the timer fires at every multiple within the hour";
    StorageNfsNeedsBtrfs "storage::nfs-needs-btrfs" Error "an NFS primary or standby whose persistent root is not btrfs (the share is btrfs snapshots)"
        hint "put the share on a host whose `persist_filesystem` is btrfs";
    StorageInvalidGeneration "storage::invalid-generation" Error "a services share generation of 0"
        hint "generations count from 1; `gen failover` increases it";
    StorageFirstDeployment "storage::first-deployment" Warning "`first_deployment` is on: a primary with nothing received makes an empty share (warning)"
        hint "remove `first_deployment` once the share exists, so a failed promotion refuses instead";
    ServiceInvalidImage "service::invalid-image" Error "not a container image reference"
        hint "write `[registry/]name[:tag][@sha256:digest]` in lowercase, e.g. `ghcr.io/org/app:1.2.3`";
    ServicePortZero "service::port-zero" Error "static port 0, or container port 0 (`to: 0` is not \"unset\")"
        hint "use a port from 1 to 65535, or `{ to: <container port> }` for a dynamic one";
    ServicePortReserved "service::port-reserved" Error "a static port the cluster uses itself, or in Nomad's dynamic range"
        hint "pick a static port outside the cluster's own ports and 20000-32000";
    ServicePortConflict "service::port-conflict" Error "two services claim one static port"
        hint "a static port is taken on every host the job runs on: give each service its own";
    ServiceDataWithoutShare "service::data-without-share" Error "`data: true` without `storage.services`"
        hint "configure `storage.services`, or remove `data: true`";
    ServiceInvalidDataPath "service::invalid-data-path" Error "a `data_path` that is not an absolute, plain container path"
        hint "write a path from `/` with letters, digits, `.`, `_`, `-` and `/`, e.g. `/var/lib/app`";
    ServiceZeroResources "service::zero-resources" Error "zero instances, CPU or memory"
        hint "`count`, `resources.cpu` (MHz) and `resources.memory` (MB) must be positive";
    ServiceNoWorkers "service::no-workers" Error "services but no Nomad worker"
        hint "give at least one cluster member the `nomad-worker` role";
    ServiceUnknownCheckPort "service::unknown-check-port" Error "the check names a port the service does not declare";
    ServiceCheckWithoutPort "service::check-without-port" Error "a check on a service without ports"
        hint "Consul checks a port: declare one under `ports`";
    ServiceUnknownMount "service::unknown-mount" Error "a service mounts a share `storage.cifs.shares` does not declare";
    ServiceInvalidMountPath "service::invalid-mount-path" Error "a share mounted at a container path that is not absolute"
        hint "give the path inside the container, e.g. `/media`";
    ServiceInvalidDevice "service::invalid-device" Error "a device that is not under `/dev`"
        hint "name a host device, e.g. `/dev/dri`";
    ServiceInvalidUser "service::invalid-user" Error "a container user that is not a name, uid or `uid:gid`";
    ServiceMemoryMaxBelowMemory "service::memory-max-below-memory" Error "`resources.memory_max` below `resources.memory`"
        hint "`memory_max` is the ceiling above the reservation: make it at least `memory`";
    ServiceInvalidTag "service::invalid-tag" Error "a blank tag, one with a control character, or tags on a service without a port (nothing is registered)";
    ServiceInvalidSchedule "service::invalid-schedule" Error "a `schedule` that is not a cron expression"
        hint "five fields, minute hour day month weekday (e.g. `50 * * * *`), or `@daily`, `@hourly`, …";
    ServiceScheduledEverywhere "service::scheduled-everywhere" Error "a job both `schedule`d and on `every_worker`";
    ServiceScheduledWithPorts "service::scheduled-with-ports" Error "a scheduled job that declares ports: it runs to completion and serves nothing"
        hint "remove `ports`, or make it a service without `schedule`";
    ServiceEveryWorkerAlone "service::every-worker-alone" Error "a job on every worker with a `count` above 1 or `data` (one directory, a writer per worker)";
    ServicePathOnTcpCheck "service::path-on-tcp-check" Error "a `path` on a TCP check"
        hint "remove `path`, or make the check `type: http`";
    ServiceInvalidPortLabel "service::invalid-port-label" Error "a port label that cannot end an environment variable name (`NOMAD_PORT_<label>`)"
        hint "use letters, digits and `_`, e.g. `http` or `admin_ui`";
    ServiceDynamicPortWithoutTo "service::dynamic-port-without-to" Error "a dynamic port without `to`, whose random number the application does not know"
        hint "give the container port with `to: 8080`, or pass `${NOMAD_PORT_<label>}` to the application in `args` or `env`";
    ServiceHttpCheckWithoutPath "service::http-check-without-path" Error "an HTTP check without `path`"
        hint "add `path: /health` (or the service's health endpoint), or use `type: tcp`";
    ServiceInvalidEnvName "service::invalid-env-name" Error "an environment variable name that is not an identifier"
        hint "use letters, digits and `_`, starting with a letter or `_`";
    ServiceEnvTwice "service::env-twice" Error "a variable both in `env` and in `secret_env`"
        hint "keep it in one place: `secret_env` for secrets, `env` for the rest";
    ServiceInvalidDuration "service::invalid-duration" Error "a check interval or timeout that is not a duration of at least 1s"
        hint "write a number with a unit, at least one second: `10s`, `1m`, `1m30s`";
    ServiceInvalidCheckPath "service::invalid-check-path" Error "an HTTP check path that is not a path (a URL, no leading `/`, spaces)"
        hint "write the path alone, from `/`: `/health`; the check runs against the service's own address";
    ServiceTooLittleMemory "service::too-little-memory" Error "less than 10 MB of memory, which Nomad refuses"
        hint "`resources.memory` is in MB: Nomad's minimum is 10";
    ServiceMemoryInBytes "service::memory-in-bytes" Warning "a memory reservation that looks like bytes, not MB (warning)"
        hint "`resources.memory` is in MB: `512` means 512 MB";
    ServiceCountAboveWorkers "service::count-above-workers" Error "more instances on a static port than there are workers to hold them"
        hint "a static port is taken once per host: lower `count`, or use a dynamic port";
    ServiceSharedData "service::shared-data" Error "`count` above 1 with `data: true`: several writers on one directory"
        hint "run one instance of a service that keeps data, or keep its state elsewhere";
    ServiceExposeDynamic "service::expose-dynamic" Error "`expose` other than `cluster` on a dynamic port, whose number is not known in advance"
        hint "give the port a `static` number to expose it to the LAN or to its host only";
    ServiceInvalidHost "service::invalid-host" Error "a `host` that is not a lowercase DNS name"
        hint "write the full name the ingress answers to, e.g. `grafana.home.arpa`";
    ServiceDuplicateHost "service::duplicate-host" Error "two services with the same `host`: the ingress would route it to either";
    ServiceHostWithoutIngress "service::host-without-ingress" Error "a service with a `host` in an inventory without `ingress`"
        hint "add an `ingress:` section (with `tls`), or remove `host`";
    ServiceHostWithoutPort "service::host-without-port" Error "a `host` on a service without a port, or on a scheduled job: nothing to route to";
    ServiceHostUnreachable "service::host-unreachable" Error "a `host` on a service whose main port is `expose: host`: the ingress on other hosts cannot reach it"
        hint "make the port `expose: cluster` (the default), or a dynamic port";
    ServiceIngressTag "service::ingress-tag" Error "a `traefik.` tag written by hand: it would route the port through the ingress, past the `host` checks and the firewall"
        hint "give the service a `host`: gen writes the ingress' tags";
    ServiceInvalidConsulName "service::invalid-consul-name" Error "a registered port whose Consul name is not a DNS label of at most 63 characters (Nomad refuses it)"
        hint "give the port's registration a `name` of letters, digits and `-`";
    ServiceDuplicateConsulName "service::duplicate-consul-name" Error "a Consul service name taken twice (Consul compares names without regard to case)";
    LifecycleInvalidDuration "lifecycle::invalid-duration" Error "a `lifecycle` duration Nomad cannot read"
        hint "a number with a unit: `30s`, `10m`, `1h30m`";
    LifecycleNotForThisJob "lifecycle::not-for-this-job" Error "a `lifecycle` block the kind of job cannot have (`update` on a scheduled job, `reschedule` on every worker, …)";
    LifecycleImpossibleRestart "lifecycle::impossible-restart" Error "a restart policy Nomad refuses: an interval below 5s, more attempts × delay than the interval, or 0 attempts with `mode: delay`";
    LifecycleImpossibleReschedule "lifecycle::impossible-reschedule" Error "a reschedule policy Nomad refuses: a delay below 5s, `max_delay` below `delay`, an interval below 15s or too short for the attempts, or attempts with `unlimited`";
    LifecycleImpossibleUpdate "lifecycle::impossible-update" Error "an update Nomad refuses: `min_healthy_time` ≥ `healthy_deadline` ≥ `progress_deadline`, or a `kill_timeout` beyond `progress_deadline`";
    LifecycleDisconnectBoth "lifecycle::disconnect-both" Error "`disconnect` with both `lost_after` and `stop_on_client_after`, which Nomad refuses"
        hint "keep one: `stop_on_client_after` stops the job on a worker cut off from the servers; `lost_after` keeps it running";
    LifecycleDataTwoWriters "lifecycle::data-two-writers" Error "`disconnect.lost_after` on a job that keeps data: it keeps running on a worker cut off from the servers while a copy starts elsewhere"
        hint "remove `lost_after`; `stop_on_client_after` (1m unless set) stops it before the copy starts";
    IngressMissingAcme "ingress::missing-acme" Error "`tls: acme` without an `acme` section"
        hint "add `acme: { email, dns_provider, credentials }`, or choose `tls: certificate`";
    IngressUnusedAcme "ingress::unused-acme" Error "an `acme` section with `tls` other than `acme`: it would be ignored";
    IngressInvalidAcme "ingress::invalid-acme" Error "an ACME email, DNS provider, credential name or CA URL Traefik cannot use";
    IngressUnknownHost "ingress::unknown-host" Error "an ingress host that is not a Nomad worker of the inventory";
    IngressPortTaken "ingress::port-taken" Error "a service's static port 80 or 443, where the ingress listens on the workers"
        hint "give the service a `host` and let the ingress answer on 80 and 443, or another port";
    IngressNameTaken "ingress::name-taken" Error "a service named `ingress`, the ingress job's name"
        hint "rename the service";
    IngressAcmePrivateName "ingress::acme-private-name" Warning "a `host` under a private domain (`home.arpa`, `.lan`, …) with ACME from Let's Encrypt, which issues no certificate for it"
        hint "use a public domain you control, `tls: certificate` with your own CA's certificate, or `acme.ca_server` for a private ACME CA";
    IngressAcmeOnManyHosts "ingress::acme-on-many-hosts" Warning "ACME on more than 3 hosts: each asks for its own certificates, and Let's Encrypt issues the same names 5 times a week"
        hint "list the hosts the names point to in `ingress.hosts`";
    SecurityDisabled "security::disabled" Warning "a protection turned off in `security` (warning on every run)";
    SecurityInvalidOperator "security::invalid-operator" Error "an operator range that is not an IP address or a network in CIDR notation"
        hint "write an address (`192.168.1.20`) or a network (`192.168.1.0/24`)";
    SecurityOperatorsEveryone "security::operators-everyone" Warning "an operator range holding every address: Nomad's API is open to anyone who can route to it"
        hint "name the admins' networks instead, e.g. `192.168.1.0/24`";
    SecretsMissingFile "secrets::missing-file" Error "`gen secrets check`: a sops file the configuration reads does not exist";
    SecretsNotSops "secrets::not-sops" Error "`gen secrets check`: a secrets file that sops did not encrypt";
    SecretsMissingKey "secrets::missing-key" Error "`gen secrets check`: a secret the configuration reads is not in its file"
        hint "`gen secrets` says how to make it; add it with `sops FILE`";
    SecretsNotEncrypted "secrets::not-encrypted" Error "`gen secrets check`: a secret stored in plain text";
    SecretsUnusedKey "secrets::unused-key" Error "`gen secrets check`: a key in a shared secrets file that nothing reads: every host of the file can read it for nothing"
        hint "remove it with `sops FILE`, or move it to the file of the hosts that need it";
    SecretsUnusedHostKey "secrets::unused-host-key" Warning "`gen secrets check`: a key in a host's own file that no generated module reads (a hand-written module may)";
    SecretsWrongRecipients "secrets::wrong-recipients" Error "`gen secrets check`: a file not encrypted to exactly the admins and the hosts that read it";
    SecretLiteral "secret::literal" Error "a value that looks like a secret (password, token, key material) written in the inventory";
    SecretInvalidAgeKey "secret::invalid-age-key" Error "not a public age key (a private one, say)"
        hint "a public age key is `age1` and 58 more characters, as printed by `age-keygen -y` or `ssh-to-age`; never the private `AGE-SECRET-KEY-…`";
    SecretInvalidSshKey "secret::invalid-ssh-key" Error "an entry that is not exactly one OpenSSH public key"
        hint "write one public key per entry, as in a `.pub` file: `ssh-ed25519 AAAA… comment`";
    SecretDuplicateAgeKey "secret::duplicate-age-key" Error "one age key given to two hosts"
        hint "each host has its own key, `ssh-to-age` of its own SSH host key: the other host would read this one's secrets";
    SecretHostWithoutKey "secret::host-without-key" Warning "a managed host without `age_key` once secrets are used (warning)"
        hint "without `age_key` the host cannot decrypt `secrets/common.yaml` nor its own file: add `ssh-to-age < /persist/etc/ssh/ssh_host_ed25519_key.pub`";
    BackupInvalidFingerprint "backup::invalid-fingerprint" Error "a Kopia server fingerprint that is not 64 hexadecimal digits"
        hint "copy the SHA-256 fingerprint `kopia server start` prints, 64 hexadecimal digits without `:`";
    BackupInvalidSchedule "backup::invalid-schedule" Error "a backup schedule that is not a systemd calendar expression"
        hint "use a shorthand (`hourly`, `daily`, `weekly`, …) or `[weekday] [date] time`, e.g. `*-*-* 02:00:00`";
    BackupInvalidPort "backup::invalid-port" Error "Kopia server port 0"
        hint "use the port the Kopia server listens on, 1 to 65535 (default 51515)";
    BackupInvalidExclude "backup::invalid-exclude" Error "an empty exclude pattern, or one with a line break or other control character (Kopia's ignore file holds one pattern per line)"
        hint "write each pattern as one line of gitignore syntax; several patterns are several list items";
    RenderInvalidOutput "render::invalid-output" Error "a template produced a file that does not parse (the template is at fault, not the inventory)";
    RenderTemplate "render::template" Error "a template failed to compile or render, e.g. it reads a value the context does not have";
    OutputNotOwned "output::not-owned" Error "rendering would overwrite or remove a file gen did not write, or one edited by hand";
    OutputCorruptManifest "output::corrupt-manifest" Error "the output directory's `.gen-manifest.json` is not a manifest gen wrote"
        hint "restore it from git (`git checkout -- <out>/.gen-manifest.json`), or delete it and render with `--force` to take the files over again";
    OutputNotADirectory "output::not-a-directory" Error "`--out` names something that is not a directory"
        hint "`--out` is the directory the flake is written to: name a directory, or a path that does not exist yet";
    CliNoInventory "cli::no-inventory" Error "the inventory file does not exist"
        hint "`gen init` writes a commented starter inventory; or name yours with `--inventory <file>`";
    CliRead "cli::read" Error "a file could not be read";
    CliWrite "cli::write" Error "a file could not be written";
    CliUnknownTemplate "cli::unknown-template" Error "a template name, or a file in the override directory, that names no embedded template";
    CliExists "cli::exists" Error "`gen init` or `gen templates eject` would overwrite a file"
        hint "move it away first, or edit it";
    CliUnknownTarget "cli::unknown-target" Error "`gen explain` or `gen context` names no such host or service";
    CliNotAStandby "cli::not-a-standby" Error "`gen failover` names a host that is not a standby of the services share";
    CliNoServicesShare "cli::no-services-share" Error "`gen failover` on an inventory without `storage.services`"
        hint "a failover moves the NFS services share: declare it under `storage.services`";
    CliPrevious "cli::previous" Error "`gen plan --since` could not read the inventory at that revision"
        hint "`--since` takes a git revision of the repository holding the inventory (`HEAD`, `main`, a commit); or name the earlier inventory with `--before <file>`";
    CliOutOfDate "cli::out-of-date" Error "`gen plan --run` on an output directory that is not what the inventory renders"
        hint "run `gen render` (and commit) first: the rollout deploys the output directory as it is";
    CliRolloutFailed "cli::rollout-failed" Error "a step of `gen plan --run` failed; the steps after it did not run"
        hint "fix what failed, then run the same plan again: deploying a host that already runs its new configuration changes nothing, and each batch checks the cluster's health before it starts";
    CliInternal "cli::internal" Error "gen failed in a way no input should cause: please report it";
}

/// The documentation table of every code, as `docs/diagnostics.md` holds it.
pub fn table() -> String {
    let mut table = String::from("| code | reported for |\n|---|---|\n");
    for code in Code::ALL {
        let _ = writeln!(table, "| `{}` | {} |", code.as_str(), code.summary());
    }
    table
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
