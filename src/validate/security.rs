//! What keeps the LAN out: protections turned off, and the operators' ranges
//! that the firewalls allow to Nomad's API.

use super::{Rules, key, value};
use crate::diagnostic::Code;

pub(super) fn check(rules: &mut Rules) {
    let security = &rules.inventory.security;
    let switches = [
        (
            "acl",
            security.acl,
            "anyone who reaches Consul or Nomad can act as an admin",
        ),
        (
            "tls",
            security.tls,
            "RPC and the HTTP API travel unencrypted and unauthenticated",
        ),
        (
            "gossip_encryption",
            security.gossip_encryption,
            "any host on the LAN can join the gossip and pose as a member",
        ),
    ];
    for (name, on, consequence) in switches {
        if !on {
            rules.flag(
                Code::SecurityDisabled,
                key(&["security", name], "turned off"),
                format!("`security.{name}` is off: {consequence}"),
            );
        }
    }
    for (index, range) in security.operators.iter().enumerate() {
        let path = ["security", "operators", &index.to_string()];
        match crate::model::address_range(&range.value) {
            None => {
                rules.flag(
                    Code::SecurityInvalidOperator,
                    value(&path, "not an address or network"),
                    format!("`{}` is not an IP address or network", range.value),
                );
            }
            Some(network) if network.prefix_len() == 0 => {
                rules.flag(
                    Code::SecurityOperatorsEveryone,
                    value(&path, "every address"),
                    format!("`{}` lets every address reach Nomad's API", range.value),
                );
            }
            Some(_) => {}
        }
    }
}
