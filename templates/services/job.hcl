job {{ service.name | hcl }} {
datacenters = {{ [cluster.datacenter] | hcl }}
type = {{ service.job_type | hcl }}
{%- if service.schedule %}
# Runs to completion at each time of the schedule; a run still going when the
# next is due makes it wait.
periodic {
crons = {{ [service.schedule] | hcl }}
prohibit_overlap = true
time_zone = {% if cluster.time_zone %}{{ cluster.time_zone | hcl }}{% else %}"UTC"{% endif %}
}
{%- endif %}
{%- if service.volume %}
meta {
# Its data is on the services share: a new primary changes this job, so running
# it again replaces every allocation, and none keeps writing to the old copy.
nfs_primary = {{ cluster.nfs.primary.name | hcl }}
nfs_generation = {{ (cluster.nfs.generation ~ "") | hcl }}
}
{%- endif %}
{%- if service.affinity %}
affinity {
attribute = {{ service.affinity.attribute | hcl }}
operator = {{ service.affinity.operator | hcl }}
value = {{ service.affinity.value | hcl }}
weight = {{ service.affinity.weight | hcl }}
}
{%- endif %}
{%- if service.constraint %}
# Only where `require` says: it waits rather than run anywhere else.
constraint {
attribute = {{ service.constraint.attribute | hcl }}
operator = {{ service.constraint.operator | hcl }}
value = {{ service.constraint.value | hcl }}
}
{%- endif %}
group {{ service.name | hcl }} {
{%- if service.job_type != "system" %}
count = {{ service.count | hcl }}
{%- endif %}
{%- if service.only_on %}
# Only on the hosts the ingress' names point to.
constraint {
attribute = {{ "${node.unique.name}" | hcl }}
operator = "set_contains_any"
value = {{ service.only_on | hcl }}
}
{%- endif %}
{%- set lifecycle = service.lifecycle %}
{%- if lifecycle.update %}
{%- if lifecycle.update.health %}
# An update replaces max_parallel allocations at a time, each healthy once {% if lifecycle.update.health.health_check == "checks" %}its
# checks pass{% else %}its task
# runs{% endif %}{% if lifecycle.update.health.auto_revert %}; one that does not become healthy is rolled back by itself{% endif %}.
{%- else %}
# An update replaces the allocations of max_parallel workers at a time.
{%- endif %}
update {
max_parallel = {{ lifecycle.update.max_parallel | hcl }}
{%- if lifecycle.update.health %}
health_check = {{ lifecycle.update.health.health_check | hcl }}
min_healthy_time = {{ lifecycle.update.health.min_healthy_time | hcl }}
healthy_deadline = {{ lifecycle.update.health.healthy_deadline | hcl }}
progress_deadline = {{ lifecycle.update.health.progress_deadline | hcl }}
auto_revert = {{ lifecycle.update.health.auto_revert | hcl }}
{%- endif %}
}
{%- endif %}
{%- if lifecycle.restart.mode == "delay" %}
# A task that fails is restarted in place a few times, then again after a pause,
# for as long as it takes.
{%- elif lifecycle.reschedule and (lifecycle.reschedule.unlimited or lifecycle.reschedule.attempts) %}
# A task that fails is restarted in place a few times, then the allocation is
# placed again, elsewhere if need be{% if lifecycle.reschedule.unlimited %}, for as long as it takes{% endif %}.
{%- else %}
# A task that fails is restarted in place a few times, then left failed.
{%- endif %}
restart {
attempts = {{ lifecycle.restart.attempts | hcl }}
interval = {{ lifecycle.restart.interval | hcl }}
delay = {{ lifecycle.restart.delay | hcl }}
mode = {{ lifecycle.restart.mode | hcl }}
}
{%- if lifecycle.reschedule %}
reschedule {
{%- if lifecycle.reschedule.attempts is defined %}
attempts = {{ lifecycle.reschedule.attempts | hcl }}
{%- endif %}
{%- if lifecycle.reschedule.interval is defined %}
interval = {{ lifecycle.reschedule.interval | hcl }}
{%- endif %}
delay = {{ lifecycle.reschedule.delay | hcl }}
delay_function = {{ lifecycle.reschedule.delay_function | hcl }}
max_delay = {{ lifecycle.reschedule.max_delay | hcl }}
unlimited = {{ lifecycle.reschedule.unlimited | hcl }}
}
{%- endif %}
{%- if lifecycle.disconnect %}
{%- if service.volume and lifecycle.disconnect.stop_on_client_after %}
# A worker cut off from the servers stops this job by itself, and the servers
# wait as long before placing it again: never two copies writing its data.
{%- endif %}
disconnect {
{%- if lifecycle.disconnect.lost_after %}
lost_after = {{ lifecycle.disconnect.lost_after | hcl }}
{%- endif %}
{%- if lifecycle.disconnect.stop_on_client_after %}
stop_on_client_after = {{ lifecycle.disconnect.stop_on_client_after | hcl }}
{%- endif %}
{%- if lifecycle.disconnect.replace is defined %}
replace = {{ lifecycle.disconnect.replace | hcl }}
{%- endif %}
{%- if lifecycle.disconnect.reconcile %}
reconcile = {{ lifecycle.disconnect.reconcile | hcl }}
{%- endif %}
}
{%- endif %}
{%- if service.sticky_disk %}
# Its certificates stay in the allocation's data directory, carried over to
# the next version on the same worker.
ephemeral_disk {
sticky = true
}
{%- endif %}
{%- if service.ports %}
network {
{%- for port in service.ports %}
port {{ port.label | hcl }} {
{%- if port.number %}
static = {{ port.number | hcl }}
{%- endif %}
{%- if port.to %}
to = {{ port.to | hcl }}
{%- endif %}
}
{%- endfor %}
}
{%- endif %}
{%- if service.check %}
service {
name = {{ service.name | hcl }}
port = {{ service.check.service_port | hcl }}
provider = "consul"
{%- if service.tags %}
tags = {{ service.tags | hcl }}
{%- endif %}
check {
type = {{ service.check.kind | hcl }}
{%- if service.check.port %}
port = {{ service.check.port | hcl }}
{%- endif %}
{%- if service.check.path %}
path = {{ service.check.path | hcl }}
{%- endif %}
interval = {{ service.check.interval | hcl }}
timeout = {{ service.check.timeout | hcl }}
# A task whose check keeps failing is restarted; a slow start is given time.
check_restart {
limit = {{ lifecycle.check_restart.limit | hcl }}
grace = {{ lifecycle.check_restart.grace | hcl }}
}
}
}
{%- endif %}
{%- for registration in service.registrations %}
service {
name = {{ registration.name | hcl }}
port = {{ registration.port | hcl }}
provider = "consul"
{%- if registration.tags %}
tags = {{ registration.tags | hcl }}
{%- endif %}
check {
type = "tcp"
interval = {{ service.check.interval | hcl }}
timeout = {{ service.check.timeout | hcl }}
}
}
{%- endfor %}
task {{ service.name | hcl }} {
driver = "docker"
{%- if service.user %}
user = {{ service.user | hcl }}
{%- endif %}
{%- if lifecycle.kill_timeout %}
{%- if service.volume %}
# Time to flush and close its files before it is killed: a database stopped
# for a failover must leave its data whole.
{%- endif %}
kill_timeout = {{ lifecycle.kill_timeout | hcl }}
{%- endif %}
config {
image = {{ service.image | hcl }}
{%- if service.host_network %}
# The host's own ports, seen from the LAN; Consul on the host's loopback.
network_mode = "host"
{%- elif service.ports %}
ports = {{ service.port_labels | hcl }}
{%- endif %}
{%- if service.args %}
args = {{ service.args | hcl }}
{%- endif %}
{%- if service.volumes %}
volumes = {{ service.volumes | hcl }}
{%- endif %}
{%- if service.devices %}
devices = {{ service.devices | hcl }}
{%- endif %}
}
{%- if service.env %}
env {
{%- for key, value in service.env %}
{{ key | hcl_ident }} = {{ value | hcl }}
{%- endfor %}
}
{%- endif %}
{%- for file in service.templates %}
template {
destination = {{ file.destination | hcl }}
{%- if file.env %}
env = true
{%- endif %}
{%- if file.perms %}
perms = {{ file.perms | hcl }}
{%- endif %}
{%- if file.secret %}
# A secret missing from the variable fails the task instead of being empty.
{%- endif %}
error_on_missing_key = true
data = {{ file.data | hcl }}
}
{%- endfor %}
resources {
cpu = {{ service.cpu | hcl }}
memory = {{ service.memory | hcl }}
{%- if service.memory_max %}
memory_max = {{ service.memory_max | hcl }}
{%- endif %}
}
}
}
}
