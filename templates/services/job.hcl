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
group {{ service.name | hcl }} {
{%- if service.job_type != "system" %}
count = {{ service.count | hcl }}
{%- endif %}
{%- if service.job_type == "service" %}
# An update replaces one allocation at a time and rolls back by itself when
# the new one does not become healthy{% if service.check %} (its checks passing){% endif %}.
update {
max_parallel = 1
health_check = {% if service.check %}"checks"{% else %}"task_states"{% endif %}
min_healthy_time = "10s"
healthy_deadline = "5m"
progress_deadline = "10m"
auto_revert = true
}
{%- elif service.job_type == "system" %}
# An update replaces one worker's allocation at a time.
update {
max_parallel = 1
}
{%- endif %}
{%- if service.job_type == "service" %}
# A task that fails is restarted in place a few times, then the allocation is
# placed again, elsewhere if need be, for as long as it takes.
{%- elif service.job_type == "batch" %}
# A run that fails is retried in place a few times, then placed again, three
# times a day at most.
{%- else %}
# A task that fails is restarted in place a few times; a system job stays on
# its worker.
{%- endif %}
restart {
attempts = 3
interval = "10m"
delay = "15s"
mode = "fail"
}
{%- if service.job_type == "batch" %}
reschedule {
attempts = 3
interval = "24h"
delay = "30s"
delay_function = "exponential"
max_delay = "10m"
unlimited = false
}
{%- elif service.job_type == "service" %}
reschedule {
delay = "30s"
delay_function = "exponential"
max_delay = "10m"
unlimited = true
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
limit = 3
grace = "60s"
}
}
}
{%- endif %}
task {{ service.name | hcl }} {
driver = "docker"
{%- if service.user %}
user = {{ service.user | hcl }}
{%- endif %}
{%- if service.volume %}
# Time to flush and close its files before it is killed: a database stopped
# for a failover must leave its data whole.
kill_timeout = "30s"
{%- endif %}
config {
image = {{ service.image | hcl }}
{%- if service.ports %}
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
{%- if service.secret_env_template %}
template {
destination = "secrets/env"
env = true
# A secret missing from the variable fails the task instead of being empty.
error_on_missing_key = true
data = {{ service.secret_env_template | hcl }}
}
{%- endif %}
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
