//! The functions a program can call that tapctl answers from what the
//! command already knows — the region, its zones, the account — so they cost
//! no cloud call and give the same answer at preview and at up.

use crate::model::{PropertyMap, Value};
use crate::programs::ProgramContext;

use super::Invoker;

/// Answers `aws:getRegion`, `aws:getCallerIdentity`,
/// `aws:getAvailabilityZones` and `aws:getPartition` from a program's context.
#[derive(Debug)]
pub struct ContextInvoker<'a> {
    ctx: &'a ProgramContext<'a>,
}

impl<'a> ContextInvoker<'a> {
    /// The invoker for `ctx`.
    pub fn new(ctx: &'a ProgramContext<'a>) -> ContextInvoker<'a> {
        ContextInvoker { ctx }
    }
}

/// The functions [`ContextInvoker`] answers, by their canonical tokens.
pub const FUNCTIONS: &[&str] = &[
    "aws:index/getRegion:getRegion",
    "aws:index/getCallerIdentity:getCallerIdentity",
    "aws:index/getAvailabilityZones:getAvailabilityZones",
    "aws:index/getPartition:getPartition",
];

/// `aws:getRegion`, `aws:index:getRegion` and `aws:index/getRegion:getRegion`
/// are one function.
pub fn canonical_token(token: &str) -> String {
    let parts: Vec<&str> = token.split(':').collect();
    match parts.as_slice() {
        [pkg, f] => format!("{pkg}:index/{f}:{f}"),
        [pkg, module, f] if !module.contains('/') => format!("{pkg}:{module}/{f}:{f}"),
        _ => token.to_string(),
    }
}

impl Invoker for ContextInvoker<'_> {
    fn invoke(&self, token: &str, args: &PropertyMap) -> Result<PropertyMap, String> {
        let canonical = canonical_token(token);
        let allowed: &[&str] = match canonical.as_str() {
            "aws:index/getRegion:getRegion" => &["name", "region", "endpoint"],
            "aws:index/getCallerIdentity:getCallerIdentity" => &[],
            "aws:index/getAvailabilityZones:getAvailabilityZones" => &["state"],
            "aws:index/getPartition:getPartition" => &[],
            _ => {
                return Err(format!("function `{token}` is not supported yet; tapctl answers {}", FUNCTIONS.join(", ")))
            }
        };
        if let Some(unknown) = args.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!(
                "`{token}` takes {}, not `{unknown}`",
                if allowed.is_empty() { "no arguments".to_string() } else { allowed.join(", ") }
            ));
        }
        let region =
            crate::programs::region(self.ctx.config, self.ctx.aws_region.as_deref()).map_err(|e| e.to_string())?;
        let partition = if region.starts_with("cn-") {
            ("aws-cn", "amazonaws.com.cn")
        } else if region.starts_with("us-gov-") {
            ("aws-us-gov", "amazonaws.com")
        } else {
            ("aws", "amazonaws.com")
        };
        let pairs: Vec<(&str, Value)> = match canonical.as_str() {
            "aws:index/getRegion:getRegion" => {
                if let Some(asked) = args.get("name").or(args.get("region")).and_then(Value::as_str) {
                    if asked != region {
                        return Err(format!("`{token}` can only describe the stack's region, {region}, not {asked}"));
                    }
                }
                vec![
                    ("id", Value::from(region.as_str())),
                    ("name", Value::from(region.as_str())),
                    ("region", Value::from(region.as_str())),
                    ("description", Value::from(region.as_str())),
                    ("endpoint", Value::from(format!("ec2.{region}.{}", partition.1))),
                ]
            }
            "aws:index/getCallerIdentity:getCallerIdentity" => {
                let account = self.ctx.account_id.clone().ok_or("the account is not known to this command")?;
                vec![
                    ("id", Value::from(account.as_str())),
                    ("accountId", Value::from(account.as_str())),
                    ("arn", Value::from(format!("arn:{}:iam::{account}:root", partition.0))),
                    ("userId", Value::from(account.as_str())),
                ]
            }
            "aws:index/getAvailabilityZones:getAvailabilityZones" => {
                if let Some(state) = args.get("state").and_then(Value::as_str).filter(|s| *s != "available") {
                    return Err(format!("`{token}` lists available zones only, not `{state}` ones"));
                }
                let zones = &self.ctx.availability_zones;
                vec![
                    ("id", Value::from(region.as_str())),
                    ("names", Value::array(zones.iter().map(String::as_str))),
                    ("zoneIds", Value::array(zones.iter().map(String::as_str))),
                    ("groupNames", Value::array(zones.iter().map(|_| region.as_str()))),
                ]
            }
            _ => vec![
                ("id", Value::from(partition.0)),
                ("partition", Value::from(partition.0)),
                ("dnsSuffix", Value::from(partition.1)),
                ("reverseDnsPrefix", Value::from(partition.1.split('.').rev().collect::<Vec<_>>().join("."))),
            ],
        };
        Ok(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_every_form_are_one_function() {
        assert_eq!(canonical_token("aws:getRegion"), "aws:index/getRegion:getRegion");
        assert_eq!(canonical_token("aws:index:getRegion"), "aws:index/getRegion:getRegion");
        assert_eq!(canonical_token("aws:index/getRegion:getRegion"), "aws:index/getRegion:getRegion");
        assert_eq!(canonical_token("aws:ec2:getAmi"), "aws:ec2/getAmi:getAmi");
    }
}
