//! Evaluating a Pulumi YAML template into a [`Program`]: config, variables and
//! resources in dependency order, expressions and builtins, resource options,
//! explicit providers, auto-names, outputs.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha2::Digest;

use super::expr::{self, Access, Part, Ref};
use super::node::{Kind, Node, Pos};
use super::{did_you_mean, ConfigDecl, YamlError, YamlProgram};
use crate::model::{
    Component, CustomTimeouts, OutputRef, Program, PropertyMap, Provider, Resource, ResourceOptions, Urn, Value,
    AWS_PROVIDER_TYPE,
};
use crate::programs::{Built, ProgramContext};
use crate::provider::kind;

/// Runs `fn::invoke` calls (data sources) for a program being built.
pub trait Invoker {
    /// Calls function `token` with known `args`; the result's properties.
    fn invoke(&self, token: &str, args: &PropertyMap) -> Result<PropertyMap, String>;
}

/// Pulumi's signature key and the signatures of assets and archives in state.
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
const ASSET_SIG: &str = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG: &str = "0def7320c3a5731c473e5ecbe6d01bc7";

/// The builtins a program may call.
const BUILTINS: &[&str] = &[
    "fn::invoke",
    "fn::join",
    "fn::split",
    "fn::select",
    "fn::toJSON",
    "fn::toBase64",
    "fn::fromBase64",
    "fn::secret",
    "fn::readFile",
    "fn::stringAsset",
    "fn::fileAsset",
    "fn::remoteAsset",
    "fn::fileArchive",
    "fn::assetArchive",
    "fn::remoteArchive",
];

/// Kinds pulumi-aws auto-names, with their name input's length limit and
/// whether AWS wants it in lower case. (The kind registry's name rules will
/// take this table's place.)
const AUTONAMED: &[(&str, usize, bool)] = &[
    ("aws:s3/bucket:Bucket", 63, true),
    ("aws:ec2/securityGroup:SecurityGroup", 255, false),
    ("aws:ec2/launchTemplate:LaunchTemplate", 128, false),
    ("aws:rds/subnetGroup:SubnetGroup", 255, true),
    ("aws:rds/clusterParameterGroup:ClusterParameterGroup", 255, true),
    ("aws:rds/cluster:Cluster", 63, true),
    ("aws:rds/clusterInstance:ClusterInstance", 63, true),
    ("aws:rds/instance:Instance", 63, true),
    ("aws:iam/role:Role", 64, false),
    ("aws:iam/policy:Policy", 128, false),
    ("aws:iam/rolePolicy:RolePolicy", 128, false),
    ("aws:iam/instanceProfile:InstanceProfile", 128, false),
    ("aws:ecs/cluster:Cluster", 255, false),
    ("aws:ecs/taskDefinition:TaskDefinition", 255, false),
    ("aws:ecs/service:Service", 255, false),
    ("aws:lb/loadBalancer:LoadBalancer", 32, false),
    ("aws:lb/targetGroup:TargetGroup", 32, false),
    ("aws:autoscaling/group:Group", 255, false),
    ("aws:autoscaling/policy:Policy", 255, false),
    ("aws:appautoscaling/policy:Policy", 255, false),
    ("aws:cloudwatch/logGroup:LogGroup", 512, false),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", 255, false),
    ("aws:cloudwatch/dashboard:Dashboard", 255, false),
    ("aws:sns/topic:Topic", 256, false),
    ("aws:secretsmanager/secret:Secret", 512, false),
    ("aws:ssm/parameter:Parameter", 2048, false),
    ("aws:cloudfront/originAccessControl:OriginAccessControl", 64, false),
];

/// What a name in `${…}` stands for.
#[derive(Debug, Clone)]
enum Entity {
    Resource { handle: Resource, token: String },
    Provider(Provider),
    Variable(Value),
}

struct Eval<'a> {
    program: &'a YamlProgram,
    ctx: &'a ProgramContext<'a>,
    invoker: &'a dyn Invoker,
    decls: &'a [ConfigDecl],
    out: Program,
    entities: HashMap<String, Entity>,
    default_provider: Option<Provider>,
}

fn err(file: &Path, pos: Pos, message: impl Into<String>) -> YamlError {
    YamlError::At { file: file.to_path_buf(), pos, message: message.into() }
}

pub(super) fn build(
    program: &YamlProgram,
    decls: &[ConfigDecl],
    ctx: &ProgramContext<'_>,
    invoker: &dyn Invoker,
) -> Result<Built, YamlError> {
    let file = program.file.clone();
    let at = |pos: Pos, m: String| err(&file, pos, m);
    let t = &program.template;
    let Some(top) = t.as_map() else { return Err(at(t.pos, "the program must be a mapping".into())) };
    const SECTIONS: &[&str] = &[
        "name",
        "runtime",
        "description",
        "config",
        "configuration",
        "variables",
        "resources",
        "outputs",
        "main",
        "options",
        "backend",
        "template",
        "plugins",
        "stackConfigDir",
        "author",
        "license",
        "website",
        "packages",
    ];
    for (k, _) in top {
        let key = k.as_str().unwrap_or_default();
        if !SECTIONS.contains(&key) {
            let hint = did_you_mean(key, SECTIONS.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(at(
                k.pos,
                format!("unknown section `{key}`{hint}; a program has config, variables, resources and outputs"),
            ));
        }
    }
    let region =
        crate::programs::region(ctx.config, ctx.aws_region.as_deref()).map_err(|e| at(t.pos, e.to_string()))?;
    let mut eval = Eval {
        program,
        ctx,
        invoker,
        decls,
        out: Program::new(
            &program.project,
            ctx.stack,
            PropertyMap::from([("region".to_string(), Value::from(region))]),
        ),
        entities: HashMap::new(),
        default_provider: None,
    };
    let section = |name: &str| -> Result<Vec<(String, Pos, Node)>, YamlError> {
        let Some(n) = t.get(name) else { return Ok(Vec::new()) };
        let entries = n.as_map().ok_or_else(|| at(n.pos, format!("`{name}` must be a mapping")))?;
        entries
            .iter()
            .map(|(k, v)| match k.as_str() {
                Some(s) if !s.is_empty() => Ok((s.to_string(), k.pos, v.clone())),
                _ => Err(at(k.pos, format!("the keys of `{name}` must be names"))),
            })
            .collect()
    };
    let variables = section("variables")?;
    let resources = section("resources")?;
    let outputs = section("outputs")?;

    // One namespace for resources, variables and declared config.
    let mut declared: HashMap<String, (Pos, bool)> = HashMap::new();
    for (name, pos, _) in &resources {
        if declared.insert(name.clone(), (*pos, true)).is_some() {
            return Err(at(*pos, format!("`{name}` is declared twice")));
        }
    }
    for (name, pos, _) in &variables {
        if declared.insert(name.clone(), (*pos, false)).is_some() {
            return Err(at(*pos, format!("`{name}` is both a resource and a variable: rename one")));
        }
    }

    // Order: each resource or variable after the names it references.
    let mut nodes: Vec<(String, Pos, &Node, bool)> = Vec::new();
    nodes.extend(resources.iter().map(|(n, p, v)| (n.clone(), *p, v, true)));
    nodes.extend(variables.iter().map(|(n, p, v)| (n.clone(), *p, v, false)));
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.0.as_str(), i)).collect();
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(nodes.len());
    for (name, _, node, _) in &nodes {
        let mut refs = Vec::new();
        references(node, &mut refs).map_err(|(pos, m)| at(pos, m))?;
        let mut deps = Vec::new();
        for (r, pos) in refs {
            if let Some(&j) = index.get(r.as_str()) {
                if r == *name {
                    return Err(at(pos, format!("`{name}` refers to itself")));
                }
                deps.push(j);
            }
        }
        edges.push(deps);
    }
    let order = topological(&nodes.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(), &edges).map_err(|cycle| {
        at(nodes[index[cycle[0].as_str()]].1, format!("these refer to each other in a cycle: {}", cycle.join(" -> ")))
    })?;

    for i in order {
        let (name, pos, node, is_resource) = &nodes[i];
        if *is_resource {
            eval.resource(name, *pos, node)?;
        } else {
            let v = eval.value(node)?;
            eval.entities.insert(name.clone(), Entity::Variable(v));
        }
    }
    for (name, _, node) in &outputs {
        let v = eval.value(node)?;
        eval.out.export(name, v);
    }
    Ok(Built { program: eval.out, traffic: None })
}

/// The names `node` references in `${…}`, with where.
fn references(node: &Node, out: &mut Vec<(String, Pos)>) -> Result<(), (Pos, String)> {
    match &node.kind {
        Kind::Str(s) => {
            for part in expr::interpolate(s).map_err(|(_, m)| (node.pos, m))? {
                if let Part::Ref(r, _) = part {
                    out.push((r.root, node.pos));
                }
            }
        }
        Kind::Seq(items) => items.iter().try_for_each(|n| references(n, out))?,
        Kind::Map(entries) => entries.iter().try_for_each(|(_, v)| references(v, out))?,
        _ => {}
    }
    Ok(())
}

/// A topological order of `names` by `edges` (i depends on edges[i]), in
/// declaration order where edges allow; a cycle's names if there is one.
fn topological(names: &[&str], edges: &[Vec<usize>]) -> Result<Vec<usize>, Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        names: &[&str],
        edges: &[Vec<usize>],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), Vec<String>> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|&p| names[p].to_string()).collect();
                cycle.push(names[i].to_string());
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        path.push(i);
        for &d in &edges[i] {
            visit(d, names, edges, marks, path, out)?;
        }
        path.pop();
        marks[i] = Mark::Done;
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; names.len()];
    let mut out = Vec::with_capacity(names.len());
    for i in 0..names.len() {
        visit(i, names, edges, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

/// `aws:s3:Bucket` → `aws:s3/bucket:Bucket`; full tokens pass unchanged.
pub fn full_token(token: &str) -> String {
    let parts: Vec<&str> = token.split(':').collect();
    match parts.as_slice() {
        [pkg, module, ty] if !module.contains('/') && !ty.is_empty() && *pkg != "pulumi" => {
            let mut chars = ty.chars();
            let lower: String = chars.next().map(|c| c.to_ascii_lowercase()).into_iter().chain(chars).collect();
            format!("{pkg}:{module}/{lower}:{ty}")
        }
        _ => token.to_string(),
    }
}

impl Eval<'_> {
    fn file(&self) -> &Path {
        &self.program.file
    }

    fn at(&self, pos: Pos, message: impl Into<String>) -> YamlError {
        err(self.file(), pos, message)
    }

    /// Registers one resource (or explicit provider).
    fn resource(&mut self, key: &str, pos: Pos, node: &Node) -> Result<(), YamlError> {
        let Some(fields) = node.as_map() else {
            return Err(self.at(node.pos, format!("resource `{key}` must be a mapping with `type` and `properties`")));
        };
        const FIELDS: &[&str] = &["type", "name", "properties", "options", "get", "defaultProvider", "description"];
        for (k, _) in fields {
            let f = k.as_str().unwrap_or_default();
            if !FIELDS.contains(&f) {
                let hint = did_you_mean(f, FIELDS.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(self.at(k.pos, format!("resource `{key}` has no field `{f}`{hint}")));
            }
        }
        let ty = node.get("type").ok_or_else(|| self.at(pos, format!("resource `{key}` has no `type`")))?;
        let token = full_token(ty.as_str().ok_or_else(|| self.at(ty.pos, "`type` must be a type token"))?);
        if let Some((g, _)) = fields.iter().find(|(k, _)| k.as_str() == Some("get")) {
            return Err(self.at(g.pos, format!("`get` (reading an existing resource into the program) is not supported yet; declare `{key}` as a resource and adopt it with `tapctl stack import`, or read what you need with fn::invoke")));
        }
        let name = match node.get("name") {
            Some(n) => n
                .as_str()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| self.at(n.pos, "`name` must be a non-empty string"))?
                .to_string(),
            None => key.to_string(),
        };
        let mut inputs = PropertyMap::new();
        if let Some(props) = node.get("properties") {
            let entries = props.as_map().ok_or_else(|| self.at(props.pos, "`properties` must be a mapping"))?;
            for (k, v) in entries {
                let p = k.as_str().unwrap_or_default();
                if token != AWS_PROVIDER_TYPE {
                    if let Some(kind) = kind(&token) {
                        if !kind.inputs.contains(&p) {
                            let hint = did_you_mean(p, kind.inputs.iter().copied())
                                .map(|s| format!(" (did you mean `{s}`?)"))
                                .unwrap_or_default();
                            return Err(self.at(k.pos, format!("{token} has no property `{p}`{hint}")));
                        }
                    }
                }
                let value = self.value(v)?;
                if !value.is_null() {
                    inputs.insert(p.to_string(), value);
                }
            }
        }
        let (options, parent, provider) = self.options(key, &token, node.get("options"))?;
        if token == AWS_PROVIDER_TYPE {
            let handle = self.out.provider(&name, inputs).map_err(|e| self.at(pos, e.to_string()))?;
            if matches!(node.get("defaultProvider").map(|n| &n.kind), Some(Kind::Bool(true))) {
                self.default_provider = Some(handle.clone());
            }
            self.entities.insert(key.to_string(), Entity::Provider(handle));
            return Ok(());
        }
        if token.starts_with("pulumi:") {
            return Err(self.at(
                ty.pos,
                format!("`{token}` is not supported yet (explicit AWS providers are: pulumi:providers:aws)"),
            ));
        }
        let Some(spec) = kind(&token) else {
            let supported = crate::provider::KINDS.iter().map(|k| k.token);
            let hint = did_you_mean(&token, supported).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
            return Err(self.at(
                ty.pos,
                format!(
                    "resource type `{token}` is not supported by tapctl{hint}; `tapctl kinds` lists the supported ones"
                ),
            ));
        };
        // Pulumi's auto-name: the logical name, `-`, 7 hex characters.
        let autoname = spec
            .physical_name
            .filter(|p| !inputs.contains_key(*p))
            .and_then(|p| AUTONAMED.iter().find(|(t, _, _)| *t == token).map(|(_, max, lower)| (p, *max, *lower)));
        let urn_parent = parent.clone().unwrap_or_else(|| self.out.root());
        let urn = Urn::new(self.ctx.stack, &self.program.project, Some(urn_parent.urn()), &token, &name);
        let mut prefix = String::new();
        if let Some((property, max, lower)) = autoname {
            let base = if lower { name.to_lowercase() } else { name.clone() };
            let base: String = base.chars().take(max.saturating_sub(8)).collect();
            prefix = format!("{base}-");
            let digest = sha2::Sha256::digest(urn.to_string().as_bytes());
            let suffix: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
            inputs.insert(property.to_string(), Value::from(format!("{prefix}{}", &suffix[..7])));
        }
        let missing: Vec<&str> = spec.required.iter().copied().filter(|r| !inputs.contains_key(*r)).collect();
        if !missing.is_empty() {
            return Err(self.at(pos, format!("resource `{key}` ({token}) needs {}", missing.join(", "))));
        }
        let provider = provider.or_else(|| self.default_provider.clone());
        let handle = match &provider {
            Some(p) => self.out.resource_with_provider(&urn_parent, &token, &name, inputs, options, p),
            None => self.out.resource(&urn_parent, &token, &name, inputs, options),
        }
        .map_err(|e| self.at(pos, e.to_string()))?;
        if let Some((property, _, _)) = autoname {
            self.out.mark_autonamed(&handle, property, &prefix);
        }
        self.entities.insert(key.to_string(), Entity::Resource { handle, token });
        Ok(())
    }

    /// The resource options, the parent and the explicit provider.
    fn options(
        &mut self,
        key: &str,
        token: &str,
        node: Option<&Node>,
    ) -> Result<(ResourceOptions, Option<Component>, Option<Provider>), YamlError> {
        let mut o = ResourceOptions::default();
        let (mut parent, mut provider) = (None, None);
        let Some(node) = node else { return Ok((o, parent, provider)) };
        let entries = node.as_map().ok_or_else(|| self.at(node.pos, "`options` must be a mapping"))?;
        const OPTIONS: &[&str] = &[
            "dependsOn",
            "parent",
            "provider",
            "providers",
            "protect",
            "ignoreChanges",
            "replaceOnChanges",
            "deleteBeforeReplace",
            "retainOnDelete",
            "customTimeouts",
            "aliases",
            "additionalSecretOutputs",
            "import",
            "version",
            "pluginDownloadURL",
        ];
        for (k, v) in entries {
            let name = k.as_str().unwrap_or_default();
            match name {
                "dependsOn" => {
                    let Kind::Seq(items) = &v.kind else {
                        return Err(self.at(v.pos, "`dependsOn` must be a list of ${resource}"));
                    };
                    for item in items {
                        let r = self.resource_ref(item)?;
                        o.depends_on.push(r.urn().clone());
                    }
                }
                "parent" => parent = Some(self.resource_ref(v)?.as_parent()),
                "provider" => provider = Some(self.provider_ref(v)?),
                "providers" => {
                    let list: Vec<&Node> = match &v.kind {
                        Kind::Seq(items) => items.iter().collect(),
                        Kind::Map(entries) => entries.iter().map(|(_, p)| p).collect(),
                        _ => return Err(self.at(v.pos, "`providers` must be a list or a mapping of ${provider}")),
                    };
                    for p in list {
                        provider = Some(self.provider_ref(p)?);
                    }
                }
                "protect" => o.protect = self.boolean(v, name)?,
                "deleteBeforeReplace" => o.delete_before_replace = self.boolean(v, name)?,
                "retainOnDelete" => o.retain_on_delete = self.boolean(v, name)?,
                "ignoreChanges" => o.ignore_changes = self.strings(v, name)?,
                "replaceOnChanges" => o.replace_on_changes = self.strings(v, name)?,
                "customTimeouts" => o.custom_timeouts = self.timeouts(v)?,
                // Aliases name where a resource was before a rename; tapctl
                // records none, so there is nothing to match them against.
                "aliases" | "version" | "pluginDownloadURL" => {}
                "additionalSecretOutputs" => {
                    return Err(self.at(k.pos, format!("`additionalSecretOutputs` on `{key}` is not supported yet, and ignoring it would store those outputs in plaintext: wrap the values that read them in fn::secret")));
                }
                "import" => {
                    return Err(self.at(k.pos, format!("the `import` option on `{key}` is not supported yet: declare the resource and take over its state with `tapctl stack import`")));
                }
                other => {
                    let hint = did_you_mean(other, OPTIONS.iter().copied())
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    return Err(self.at(k.pos, format!("`{other}` is not a resource option{hint}")));
                }
            }
        }
        let _ = token;
        Ok((o, parent, provider))
    }

    fn boolean(&self, v: &Node, name: &str) -> Result<bool, YamlError> {
        match v.kind {
            Kind::Bool(b) => Ok(b),
            _ => Err(self.at(v.pos, format!("`{name}` must be true or false, not {}", v.describe()))),
        }
    }

    fn strings(&self, v: &Node, name: &str) -> Result<Vec<String>, YamlError> {
        match &v.kind {
            Kind::Seq(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| self.at(i.pos, format!("`{name}` must list property names")))
                })
                .collect(),
            _ => Err(self.at(v.pos, format!("`{name}` must be a list of property names"))),
        }
    }

    fn timeouts(&self, v: &Node) -> Result<CustomTimeouts, YamlError> {
        let entries =
            v.as_map().ok_or_else(|| self.at(v.pos, "`customTimeouts` must be a mapping of create, update, delete"))?;
        let mut t = CustomTimeouts::default();
        for (k, d) in entries {
            let secs = d
                .as_str()
                .and_then(duration_seconds)
                .ok_or_else(|| self.at(d.pos, "a timeout is a duration such as \"30s\", \"5m\" or \"1h30m\""))?;
            match k.as_str().unwrap_or_default() {
                "create" => t.create = secs,
                "update" => t.update = secs,
                "delete" => t.delete = secs,
                other => {
                    return Err(self.at(k.pos, format!("`customTimeouts` has create, update and delete, not `{other}`")))
                }
            }
        }
        Ok(t)
    }

    /// `${name}` naming a resource.
    fn resource_ref(&self, v: &Node) -> Result<Resource, YamlError> {
        match self.entity_ref(v)? {
            Entity::Resource { handle, .. } => Ok(handle),
            _ => Err(self.at(v.pos, "expected `${resource}`, a resource of this program")),
        }
    }

    /// `${name}` naming an explicit provider.
    fn provider_ref(&self, v: &Node) -> Result<Provider, YamlError> {
        match self.entity_ref(v)? {
            Entity::Provider(p) => Ok(p),
            _ => Err(self.at(v.pos, "expected `${provider}`, a pulumi:providers:aws resource of this program")),
        }
    }

    fn entity_ref(&self, v: &Node) -> Result<Entity, YamlError> {
        let s = v.as_str().ok_or_else(|| self.at(v.pos, "expected `${name}`"))?;
        let r = match expr::interpolate(s).map_err(|(_, m)| self.at(v.pos, m))?.as_slice() {
            [Part::Ref(r, _)] if r.path.is_empty() => r.clone(),
            _ => return Err(self.at(v.pos, format!("expected `${{name}}`, not `{s}`"))),
        };
        self.entities.get(&r.root).cloned().ok_or_else(|| self.unknown_name(v.pos, &r.root))
    }

    fn unknown_name(&self, pos: Pos, name: &str) -> YamlError {
        let mut names: Vec<&str> = self.entities.keys().map(String::as_str).collect();
        names.extend(self.decls.iter().map(|d| d.name.as_str()));
        let hint = did_you_mean(name, names).map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default();
        self.at(pos, format!("`{name}` is not a resource, variable or config key of this program{hint}"))
    }

    /// Evaluates a node.
    fn value(&self, n: &Node) -> Result<Value, YamlError> {
        Ok(match &n.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::Number(*i as f64),
            Kind::Float(f) => Value::Number(*f),
            Kind::Str(s) => self.string(n.pos, s)?,
            Kind::Seq(items) => Value::Array(items.iter().map(|i| self.value(i)).collect::<Result<_, _>>()?),
            Kind::Map(entries) => {
                if let [(k, arg)] = entries.as_slice() {
                    if let Some(f) = k.as_str().filter(|f| f.starts_with("fn::")) {
                        return self.builtin(k.pos, f, arg);
                    }
                }
                let mut map = BTreeMap::new();
                for (k, v) in entries {
                    let key = k.as_str().ok_or_else(|| self.at(k.pos, "mapping keys must be strings"))?;
                    map.insert(key.to_string(), self.value(v)?);
                }
                Value::Object(map)
            }
        })
    }

    /// A string with `${…}` interpolation.
    fn string(&self, pos: Pos, s: &str) -> Result<Value, YamlError> {
        let parts = expr::interpolate(s).map_err(|(_, m)| self.at(pos, m))?;
        if let [Part::Ref(r, _)] = parts.as_slice() {
            if s.trim_start().starts_with("${") && s.trim_end().ends_with('}') {
                return self.reference(pos, r);
            }
        }
        let mut values = Vec::new();
        for part in parts {
            values.push(match part {
                Part::Text(t) => Value::String(t),
                Part::Ref(r, _) => self.reference(pos, &r)?,
            });
        }
        Ok(concat(values))
    }

    /// What `${…}` stands for.
    fn reference(&self, pos: Pos, r: &Ref) -> Result<Value, YamlError> {
        if r.root == "pulumi" {
            let field = match r.path.as_slice() {
                [Access::Key(f)] => f.as_str(),
                _ => return Err(self.at(pos, "`pulumi` has stack, project, organization and cwd")),
            };
            return Ok(Value::from(match field {
                "stack" => self.ctx.stack.to_string(),
                "project" => self.program.project.clone(),
                "organization" => "organization".to_string(),
                "cwd" => self.program.dir.display().to_string(),
                other => {
                    return Err(self.at(
                        pos,
                        format!(
                            "`pulumi.{other}` is not defined; use pulumi.stack, pulumi.project or pulumi.organization"
                        ),
                    ))
                }
            }));
        }
        match self.entities.get(&r.root) {
            Some(Entity::Resource { handle, token }) => {
                let Some(Access::Key(first)) = r.path.first() else {
                    return Err(self.at(
                        pos,
                        format!(
                            "`${{{}}}` is a whole resource; read one of its outputs, e.g. `${{{}.id}}`",
                            r.root, r.root
                        ),
                    ));
                };
                if first == "urn" && r.path.len() == 1 {
                    return Ok(Value::from(handle.urn().to_string()));
                }
                let outputs = kind(token).map(|k| k.outputs).unwrap_or_default();
                if first != "id" && !outputs.contains(&first.as_str()) {
                    let hint = did_you_mean(first, outputs.iter().copied())
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    return Err(self.at(pos, format!("{token} has no output `{first}`{hint}")));
                }
                Ok(Value::Output(OutputRef { urn: handle.urn().clone(), property: r.property_path() }))
            }
            Some(Entity::Provider(_)) => {
                Err(self
                    .at(pos, format!("`{}` is a provider: use it in `options: {{provider: ${{{}}}}}`", r.root, r.root)))
            }
            Some(Entity::Variable(v)) => self.navigate(pos, v.clone(), &r.path, &r.root),
            None => {
                let value = self.config(pos, &r.root)?;
                self.navigate(pos, value, &r.path, &r.root)
            }
        }
    }

    /// A config value: `key` in the project's namespace, or `ns:key`.
    fn config(&self, pos: Pos, name: &str) -> Result<Value, YamlError> {
        let full = if name.contains(':') { name.to_string() } else { format!("{}:{name}", self.program.project) };
        let decl = self.decls.iter().find(|d| d.name == name || format!("{}:{}", self.program.project, d.name) == full);
        let value = match self.ctx.config.get(&full) {
            Some(v) => Some(v.clone()),
            None if full == "aws:region" => Some(Value::from(
                crate::programs::region(self.ctx.config, self.ctx.aws_region.as_deref())
                    .map_err(|e| self.at(pos, e.to_string()))?,
            )),
            None => decl.and_then(|d| d.default.as_ref()).map(Value::from_plain_json),
        };
        let Some(value) = value else {
            return match decl {
                Some(_) => Err(self.at(pos, format!("config `{full}` is not set: `tapctl config set {name} <value>`"))),
                None => Err(self.unknown_name(pos, name)),
            };
        };
        let value = match decl.and_then(|d| d.type_name.as_deref()) {
            Some(t) => typed(value, t).map_err(|why| self.at(pos, format!("config `{full}`: {why}")))?,
            None => value,
        };
        Ok(if decl.is_some_and(|d| d.secret) { Value::secret(value) } else { value })
    }

    /// Reads `path` from a known value (or extends an output reference).
    fn navigate(&self, pos: Pos, mut v: Value, path: &[Access], root: &str) -> Result<Value, YamlError> {
        for (i, step) in path.iter().enumerate() {
            v = match (v, step) {
                (Value::Output(mut o), _) => {
                    let rest = Ref { root: String::new(), path: path[i..].to_vec() }.property_path();
                    o.property = if rest.starts_with('[') {
                        format!("{}{rest}", o.property)
                    } else {
                        format!("{}.{rest}", o.property)
                    };
                    return Ok(Value::Output(o));
                }
                (Value::Secret(inner), _) => {
                    return Ok(Value::secret(self.navigate(pos, *inner, &path[i..], root)?));
                }
                (Value::Object(mut m), Access::Key(k)) => {
                    m.remove(k).ok_or_else(|| self.at(pos, format!("`{root}` has no key `{k}`")))?
                }
                (Value::Array(mut a), Access::Index(j)) if *j < a.len() => a.swap_remove(*j),
                (other, step) => {
                    return Err(self.at(
                        pos,
                        format!(
                            "cannot read {step:?} of `{root}` ({}): the value has no such element",
                            other.display()
                        ),
                    ))
                }
            };
        }
        Ok(v)
    }

    /// `fn::…`.
    fn builtin(&self, pos: Pos, name: &str, arg: &Node) -> Result<Value, YamlError> {
        let args = |n: usize| -> Result<Vec<&Node>, YamlError> {
            match &arg.kind {
                Kind::Seq(items) if items.len() == n => Ok(items.iter().collect()),
                _ => Err(self.at(arg.pos, format!("`{name}` takes a list of {n} arguments"))),
            }
        };
        let known_string = |n: &Node, what: &str| -> Result<String, YamlError> {
            match self.value(n)? {
                Value::String(s) => Ok(s),
                v if v.output_refs().is_empty() => {
                    Err(self.at(n.pos, format!("`{name}` needs {what} as a string, not {}", v.display())))
                }
                _ => {
                    Err(self.at(n.pos, format!("`{name}` of a value only known after deployment is not supported yet")))
                }
            }
        };
        match name {
            "fn::join" => {
                let a = args(2)?;
                let sep = known_string(a[0], "the separator")?;
                let Value::Array(items) = self.value(a[1])? else {
                    return Err(self.at(a[1].pos, "`fn::join` joins a list"));
                };
                let mut parts = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    if i > 0 {
                        parts.push(Value::from(sep.clone()));
                    }
                    parts.push(item);
                }
                Ok(concat(parts))
            }
            "fn::split" => {
                let a = args(2)?;
                let sep = known_string(a[0], "the separator")?;
                let s = known_string(a[1], "the text")?;
                Ok(Value::Array(s.split(sep.as_str()).map(Value::from).collect()))
            }
            "fn::select" => {
                let a = args(2)?;
                let Value::Number(i) = self.value(a[0])? else {
                    return Err(self.at(a[0].pos, "`fn::select` takes an index first"));
                };
                match self.value(a[1])? {
                    Value::Array(items) => items.get(i as usize).cloned().ok_or_else(|| {
                        self.at(
                            a[1].pos,
                            format!("`fn::select` index {i} is past the end of a list of {}", items.len()),
                        )
                    }),
                    Value::Output(mut o) => {
                        o.property = format!("{}[{}]", o.property, i as usize);
                        Ok(Value::Output(o))
                    }
                    _ => Err(self.at(a[1].pos, "`fn::select` selects from a list")),
                }
            }
            "fn::toJSON" => {
                let v = self.value(arg)?;
                Ok(if v.output_refs().is_empty() && !v.contains_secret() {
                    Value::from(v.to_plain_json().to_string())
                } else {
                    Value::JsonString(Box::new(v))
                })
            }
            "fn::toBase64" => Ok(Value::from(BASE64.encode(known_string(arg, "its input")?))),
            "fn::fromBase64" => {
                let s = known_string(arg, "its input")?;
                let bytes =
                    BASE64.decode(s.trim()).map_err(|_| self.at(arg.pos, "`fn::fromBase64` input is not base64"))?;
                Ok(Value::from(
                    String::from_utf8(bytes)
                        .map_err(|_| self.at(arg.pos, "`fn::fromBase64` decodes to bytes that are not UTF-8 text"))?,
                ))
            }
            "fn::secret" => Ok(Value::secret(self.value(arg)?)),
            "fn::readFile" => {
                let path = self.program.dir.join(known_string(arg, "a path")?);
                std::fs::read_to_string(&path)
                    .map(Value::from)
                    .map_err(|e| self.at(arg.pos, format!("fn::readFile {}: {e}", path.display())))
            }
            "fn::stringAsset" | "fn::fileAsset" | "fn::remoteAsset" => self.asset(name, arg).map(|(v, _)| v),
            "fn::fileArchive" | "fn::remoteArchive" => {
                let s = known_string(arg, "a path or URI")?;
                let field = if name == "fn::fileArchive" { "path" } else { "uri" };
                if name == "fn::fileArchive" && !self.program.dir.join(&s).exists() {
                    return Err(self.at(
                        arg.pos,
                        format!("fn::fileArchive: {} does not exist", self.program.dir.join(&s).display()),
                    ));
                }
                Ok(Value::object([(SIG_KEY, Value::from(ARCHIVE_SIG)), (field, Value::from(s))]))
            }
            "fn::assetArchive" => {
                let entries = arg.as_map().ok_or_else(|| {
                    self.at(arg.pos, "`fn::assetArchive` takes a mapping of names to assets or archives")
                })?;
                let mut assets = BTreeMap::new();
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or_default().to_string();
                    assets.insert(key, self.value(v)?);
                }
                Ok(Value::object([(SIG_KEY, Value::from(ARCHIVE_SIG)), ("assets", Value::Object(assets))]))
            }
            "fn::invoke" => {
                let function = arg
                    .get("function")
                    .and_then(Node::as_str)
                    .ok_or_else(|| self.at(arg.pos, "`fn::invoke` needs `function: <token>`"))?;
                let arguments = match arg.get("arguments") {
                    Some(a) => self.value(a)?,
                    None => Value::Object(BTreeMap::new()),
                };
                let result = self.invoke(arg.pos, function, arguments)?;
                match arg.get("return").and_then(Node::as_str) {
                    Some(key) => result
                        .get(key)
                        .cloned()
                        .ok_or_else(|| self.at(arg.pos, format!("`{function}` returns no `{key}`"))),
                    None => Ok(Value::Object(result)),
                }
            }
            other if other["fn::".len()..].contains(':') => {
                // `fn::aws:ec2/getAmi:getAmi: {args}` is `fn::invoke` shorthand.
                let function = &other["fn::".len()..];
                Ok(Value::Object(self.invoke(arg.pos, function, self.value(arg)?)?))
            }
            other => {
                let hint = did_you_mean(other, BUILTINS.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                Err(self.at(pos, format!("unknown function `{other}`{hint}; the builtins are {}", BUILTINS.join(", "))))
            }
        }
    }

    fn invoke(&self, pos: Pos, function: &str, arguments: Value) -> Result<PropertyMap, YamlError> {
        let Value::Object(args) = arguments else { return Err(self.at(pos, "invoke arguments must be a mapping")) };
        if args.values().any(|v| !v.output_refs().is_empty()) {
            return Err(self.at(
                pos,
                format!("`{function}` is called with a value only known after deployment, which is not supported yet"),
            ));
        }
        self.invoker.invoke(function, &args).map_err(|why| self.at(pos, why))
    }

    /// An asset as Pulumi encodes it in state, with its hash.
    fn asset(&self, name: &str, arg: &Node) -> Result<(Value, String), YamlError> {
        let s = match self.value(arg)? {
            Value::String(s) => s,
            _ => return Err(self.at(arg.pos, format!("`{name}` takes a string"))),
        };
        let (field, content) = match name {
            "fn::stringAsset" => ("text", Some(s.clone().into_bytes())),
            "fn::fileAsset" => {
                let path = self.program.dir.join(&s);
                let bytes = std::fs::read(&path)
                    .map_err(|e| self.at(arg.pos, format!("fn::fileAsset {}: {e}", path.display())))?;
                ("path", Some(bytes))
            }
            _ => ("uri", None),
        };
        let mut pairs = vec![(SIG_KEY, Value::from(ASSET_SIG)), (field, Value::from(s))];
        let hash = content.map(|c| sha2::Sha256::digest(&c).iter().map(|b| format!("{b:02x}")).collect::<String>());
        if let Some(h) = &hash {
            pairs.push(("hash", Value::from(h.clone())));
        }
        Ok((Value::object(pairs), hash.unwrap_or_default()))
    }
}

/// The concatenation of `parts`: a plain string when every part is known.
fn concat(parts: Vec<Value>) -> Value {
    let secret = parts.iter().any(Value::contains_secret);
    let lazy = parts.iter().any(|p| !p.output_refs().is_empty() || matches!(p, Value::Unknown));
    let v = if lazy {
        Value::Concat(parts)
    } else {
        let mut s = String::new();
        for p in &parts {
            match p {
                Value::String(t) => s.push_str(t),
                Value::Secret(inner) => match inner.as_ref() {
                    Value::String(t) => s.push_str(t),
                    other => s.push_str(&other.to_plain_json().to_string()),
                },
                Value::Number(n) if n.fract() == 0.0 => s.push_str(&format!("{}", *n as i64)),
                other => s.push_str(&other.to_plain_json().to_string()),
            }
        }
        Value::from(s)
    };
    if secret && !matches!(v, Value::Concat(_)) {
        Value::secret(v)
    } else {
        v
    }
}

/// Converts a config value to its declared type, as Pulumi does (config
/// files hold strings).
pub(super) fn typed(v: Value, type_name: &str) -> Result<Value, String> {
    let s = match &v {
        Value::String(s) => s.clone(),
        Value::Secret(inner) => return typed(*inner.clone(), type_name).map(Value::secret),
        _ => return Ok(v),
    };
    match type_name {
        "String" => Ok(v),
        "Integer" => {
            s.trim().parse::<i64>().map(|i| Value::Number(i as f64)).map_err(|_| format!("`{s}` is not an integer"))
        }
        "Number" => s.trim().parse::<f64>().map(Value::Number).map_err(|_| format!("`{s}` is not a number")),
        "Boolean" => match s.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(format!("`{s}` is not true or false")),
        },
        _ => serde_json::from_str::<serde_json::Value>(&s)
            .map(|j| Value::from_plain_json(&j))
            .map_err(|_| format!("`{s}` is not a JSON {type_name}")),
    }
}

/// `30s`, `5m`, `1h30m` in seconds.
fn duration_seconds(s: &str) -> Option<u64> {
    let mut total = 0;
    let mut digits = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
    }
    digits.is_empty().then_some(total).filter(|t| *t > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tokens_expand_as_pulumi_does() {
        assert_eq!(full_token("aws:s3:Bucket"), "aws:s3/bucket:Bucket");
        assert_eq!(full_token("aws:ec2:SecurityGroup"), "aws:ec2/securityGroup:SecurityGroup");
        assert_eq!(full_token("aws:s3/bucket:Bucket"), "aws:s3/bucket:Bucket");
        assert_eq!(full_token("pulumi:providers:aws"), "pulumi:providers:aws");
    }

    #[test]
    fn durations_and_config_types_convert() {
        assert_eq!(duration_seconds("1h30m"), Some(5400));
        assert_eq!(duration_seconds("45s"), Some(45));
        assert_eq!(duration_seconds("5"), None);
        assert_eq!(typed(Value::from("3"), "Integer").unwrap(), Value::Number(3.0));
        assert!(typed(Value::from("three"), "Integer").unwrap_err().contains("not an integer"));
        assert_eq!(typed(Value::from("[\"a\"]"), "List<String>").unwrap(), Value::array(["a"]));
    }
}
