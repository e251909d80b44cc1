#!/usr/bin/env python3
"""Generate `src/provider/catalog.rs`, tapctl's static catalog of resource kinds.

Usage (from the repository root):

    python3 scripts/gen_catalog.py            # (re)write src/provider/catalog.rs
    python3 scripts/gen_catalog.py --check    # exit 1 if the committed file is stale

Two sources feed the catalog:

* the pulumi-aws schema extract (`schema/pulumi-aws-7.48.0.json`, see `schema/README.md`), which gives, per
  type token, the input names, required inputs and output names;
* the hand-written FACTS table below, which holds what the schema does not say: which inputs force a
  replacement (Terraform's `ForceNew`; pulumi-aws is bridged from hashicorp/terraform-provider-aws
  6.x, so its replace semantics are that provider's), which input is the resource's name in AWS, how
  AWS forms the resource id, and which ARN the resource gets.

The generator refuses to write anything if a token is missing from the schema, or if the table names
an input the schema does not have, so a schema bump that renames a property fails loudly here.
The emitted file is piped through `rustfmt` when it is available, so re-running is idempotent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO / "schema" / "pulumi-aws-7.48.0.json"
DEFAULT_OUT = REPO / "src" / "provider" / "catalog.rs"
# How the generated file and its test refer to the schema (relative to CARGO_MANIFEST_DIR).
SCHEMA_REL = "schema/pulumi-aws-7.48.0.json"

# Terraform AWS provider 6.x ("enhanced region support") gives every regional resource a top-level
# `region` argument, and changing it forces replacement (guides/enhanced-region-support: "Changing the
# value of `region` will force resource replacement."). Global services such as IAM have no `region`.
# So: whenever the schema lists a `region` input, it is added to `force_new` automatically.
REGION_FORCES_NEW = True

# Per-token facts, in catalog order. Keys of each entry:
#   force_new      top-level inputs whose change forces replacement (without `region`, see above).
#                  Only unconditional ForceNew; conditional cases are described in `notes`.
#   physical_name  input that is the resource's unique name in AWS when set, or None.
#   id_prefix      prefix of AWS-generated ids ("" when the id is a name, an ARN or a composite).
#   id_is          Generated | PhysicalName | Arn | Composite (see IdStyle in the generated file).
#   arn            (service, resource pattern) when the kind has an `arn` output, else None. Only the
#                  service is part of the Rust API; the pattern is emitted as a comment for the
#                  in-memory cloud. {id}/{name}/... refer to the resource's own values.
#   notes          conditional replace rules and uncertainties (emitted as comments).
# Sources: hashicorp/terraform-provider-aws internal/service/<svc>/<resource>.go schemas
# (`ForceNew: true`, `RequiresReplace()`, CustomizeDiff `ForceNew` calls) and the TF 6.x guides.
FACTS: dict[str, dict] = {
    "aws:ec2/vpc:Vpc": dict(
        force_new=["cidrBlock", "instanceTenancy", "ipv4IpamPoolId", "ipv4NetmaskLength"],
        physical_name=None, id_prefix="vpc-", id_is="Generated",
        arn=("ec2", "vpc/{id}"),
        notes=[
            "instanceTenancy: CustomizeDiff forces replacement for every change except "
            "dedicated -> default, which is applied in place (ModifyVpcTenancy).",
            "cidrBlock: not replaced when it is derived from IPAM (ipv4NetmaskLength set).",
        ],
    ),
    "aws:ec2/subnet:Subnet": dict(
        force_new=["availabilityZone", "availabilityZoneId", "cidrBlock", "ipv4IpamPoolId",
                   "ipv4NetmaskLength", "ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength",
                   "outpostArn", "vpcId"],
        physical_name=None, id_prefix="subnet-", id_is="Generated",
        arn=("ec2", "subnet/{id}"),
        notes=["ipv6CidrBlock: replaced only when the old subnet had assignIpv6AddressOnCreation=true."],
    ),
    "aws:ec2/internetGateway:InternetGateway": dict(
        force_new=[],
        physical_name=None, id_prefix="igw-", id_is="Generated",
        arn=("ec2", "internet-gateway/{id}"),
        notes=["vpcId is updated in place (detach from the old VPC, attach to the new one)."],
    ),
    "aws:ec2/eip:Eip": dict(
        force_new=["address", "domain", "ipamPoolId", "networkBorderGroup", "publicIpv4Pool"],
        physical_name=None, id_prefix="eipalloc-", id_is="Generated",
        arn=("ec2", "elastic-ip/{id}"),
        notes=["instance / networkInterface / associateWithPrivateIp re-associate in place."],
    ),
    "aws:ec2/natGateway:NatGateway": dict(
        force_new=["allocationId", "availabilityMode", "connectivityType", "privateIp",
                   "secondaryPrivateIpAddressCount", "subnetId", "vpcId"],
        physical_name=None, id_prefix="nat-", id_is="Generated",
        arn=None,
        notes=[
            "secondaryPrivateIpAddressCount: ForceNew only when set explicitly (private NAT "
            "gateways; it is rejected for public ones). Older provider versions: plain ForceNew.",
            "availabilityZoneAddresses (regional mode): switching between auto and manual AZ "
            "mode (empty <-> non-empty) forces replacement; other changes are in place.",
        ],
    ),
    "aws:ec2/routeTable:RouteTable": dict(
        force_new=["vpcId"],
        physical_name=None, id_prefix="rtb-", id_is="Generated",
        arn=("ec2", "route-table/{id}"),
        notes=["Inline routes and propagatingVgws are reconciled in place."],
    ),
    "aws:ec2/route:Route": dict(
        force_new=["destinationCidrBlock", "destinationIpv6CidrBlock", "destinationPrefixListId",
                   "routeTableId"],
        physical_name=None, id_prefix="r-", id_is="Composite",
        arn=None,
        notes=[
            "Targets (gatewayId, natGatewayId, ...) change in place via ReplaceRoute.",
            "Id: Terraform forms \"r-\" + routeTableId + hash(destination); the import id is "
            "\"<routeTableId>_<destination>\".",
        ],
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": dict(
        force_new=["gatewayId", "subnetId"],
        physical_name=None, id_prefix="rtbassoc-", id_is="Generated",
        arn=None,
        notes=["routeTableId changes in place (ReplaceRouteTableAssociation) and yields a new "
               "association id."],
    ),
    "aws:ec2/securityGroup:SecurityGroup": dict(
        force_new=["description", "name", "namePrefix", "vpcId"],
        physical_name="name", id_prefix="sg-", id_is="Generated",
        arn=("ec2", "security-group/{id}"),
        notes=["name is unique per VPC (GroupName); the id is still AWS-generated."],
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": dict(
        force_new=["securityGroupId"],
        physical_name=None, id_prefix="sgr-", id_is="Generated",
        arn=("ec2", "security-group-rule/{id}"),
        notes=["Changing the kind of source (cidrIpv4 / cidrIpv6 / prefixListId / "
               "referencedSecurityGroupId) forces replacement; changing its value does not."],
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": dict(
        force_new=["securityGroupId"],
        physical_name=None, id_prefix="sgr-", id_is="Generated",
        arn=("ec2", "security-group-rule/{id}"),
        notes=["Changing the kind of destination (cidrIpv4 / cidrIpv6 / prefixListId / "
               "referencedSecurityGroupId) forces replacement; changing its value does not."],
    ),
    "aws:rds/subnetGroup:SubnetGroup": dict(
        force_new=["name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("rds", "subgrp:{name}"),
        notes=["description and subnetIds change in place (ModifyDBSubnetGroup)."],
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": dict(
        force_new=["description", "family", "name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("rds", "cluster-pg:{name}"),
        notes=[],
    ),
    "aws:rds/cluster:Cluster": dict(
        force_new=["availabilityZones", "clusterIdentifier", "clusterIdentifierPrefix",
                   "clusterScalabilityType", "databaseName", "dbSubnetGroupName", "dbSystemId",
                   "engine", "engineMode", "kmsKeyId", "masterUsername", "restoreToPointInTime",
                   "s3Import", "snapshotIdentifier", "sourceRegion", "storageEncrypted"],
        physical_name="clusterIdentifier", id_prefix="", id_is="PhysicalName",
        arn=("rds", "cluster:{clusterIdentifier}"),
        notes=[
            "engineVersion changes in place (major upgrades need allowMajorVersionUpgrade).",
            "storageType: ForceNew only for non-aurora engines (CustomizeDiff).",
            "snapshotIdentifier: removing it does not replace (diff suppressed).",
            "s3Import: the block itself is not ForceNew but every field in it is.",
        ],
    ),
    "aws:rds/clusterInstance:ClusterInstance": dict(
        force_new=["availabilityZone", "clusterIdentifier", "customIamInstanceProfile",
                   "dbSubnetGroupName", "engine", "identifier", "identifierPrefix"],
        physical_name="identifier", id_prefix="", id_is="PhysicalName",
        arn=("rds", "db:{identifier}"),
        notes=["instanceClass, engineVersion, dbParameterGroupName, promotionTier, "
               "publiclyAccessible change in place."],
    ),
    "aws:rds/instance:Instance": dict(
        force_new=["availabilityZone", "characterSetName", "customIamInstanceProfile", "dbName",
                   "engine", "identifier", "identifierPrefix", "kmsKeyId", "ncharCharacterSetName",
                   "replicateSourceDb", "restoreToPointInTime", "s3Import", "snapshotIdentifier",
                   "storageEncrypted", "timezone", "username"],
        physical_name="identifier", id_prefix="", id_is="PhysicalName",
        arn=("rds", "db:{identifier}"),
        notes=[
            "Id: pulumi-aws 7 / Terraform 6 use the identifier (5.x used the resource id).",
            "identifier: Terraform renames in place (NewDBInstanceIdentifier), which changes the id; "
            "tapctl's update keeps the id, so here it replaces.",
            "instanceClass, allocatedStorage, multiAz, backups, windows, parameter and subnet groups, "
            "security groups, log exports, engineVersion and the rest change in place "
            "(ModifyDBInstance).",
        ],
    ),
    "aws:iam/role:Role": dict(
        force_new=["name", "namePrefix", "path"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("iam", "role{path}{name}"),
        notes=["IAM is global: no region input. ARN has an empty region field."],
    ),
    "aws:iam/policy:Policy": dict(
        force_new=["description", "name", "namePrefix", "path"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("iam", "policy{path}{name}"),
        notes=["policy (the document) changes in place by creating a new default version."],
    ),
    "aws:iam/rolePolicy:RolePolicy": dict(
        force_new=["name", "namePrefix", "role"],
        physical_name="name", id_prefix="", id_is="Composite",
        arn=None,
        notes=["Id: \"<role>:<name>\". name is unique per role only."],
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": dict(
        force_new=["policyArn", "role"],
        physical_name=None, id_prefix="", id_is="Composite",
        arn=None,
        notes=["Id: \"<role>/<policyArn>\" (provider >= 6.0; 5.x used \"<role>-<timestamp>\")."],
    ),
    "aws:iam/instanceProfile:InstanceProfile": dict(
        force_new=["name", "namePrefix", "path"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("iam", "instance-profile{path}{name}"),
        notes=["role changes in place (remove the old role, add the new one)."],
    ),
    "aws:ecs/cluster:Cluster": dict(
        force_new=["name"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("ecs", "cluster/{name}"),
        notes=[],
    ),
    "aws:ecs/taskDefinition:TaskDefinition": dict(
        force_new=["containerDefinitions", "cpu", "enableFaultInjection", "ephemeralStorage",
                   "executionRoleArn", "family", "ipcMode", "memory", "networkMode", "pidMode",
                   "placementConstraints", "proxyConfiguration", "requiresCompatibilities",
                   "runtimePlatform", "taskRoleArn", "volumes"],
        physical_name="family", id_prefix="", id_is="PhysicalName",
        arn=("ecs", "task-definition/{family}:{revision}"),
        notes=[
            "Every input forces a new revision except tags, skipDestroy and trackLatest "
            "(provider-side flags).",
            "Id is the family (Terraform sets d.SetId(family)); the ARN carries the revision.",
        ],
    ),
    "aws:ecs/service:Service": dict(
        force_new=["cluster", "iamRole", "launchType", "name", "schedulingStrategy"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("ecs", "service/{cluster}/{name}"),
        notes=[
            "deploymentController: ForceNew in provider 5.x/early 6.x; in-place in current 6.x "
            "(UpdateService supports it). Left out here.",
            "capacityProviderStrategies: in older 6.x a change forces replacement unless "
            "forceNewDeployment=true; current 6.x updates in place and requires "
            "forceNewDeployment=true. Left out here.",
        ],
    ),
    "aws:lb/loadBalancer:LoadBalancer": dict(
        force_new=["customerOwnedIpv4Pool", "internal", "loadBalancerType", "name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("elasticloadbalancing", "loadbalancer/{app|net|gwy}/{name}/{hex16}"),
        notes=[
            "Network LBs: removing a subnet, or adding the first / removing all securityGroups, "
            "forces replacement (CustomizeDiff). Application LBs update subnets in place.",
            "enablePrefixForIpv6SourceNat: not verified against the current provider source.",
        ],
    ),
    "aws:lb/targetGroup:TargetGroup": dict(
        force_new=["ipAddressType", "name", "namePrefix", "port", "protocol", "protocolVersion",
                   "targetControlPort", "targetType", "vpcId"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("elasticloadbalancing", "targetgroup/{name}/{hex16}"),
        notes=["targetControlPort: inferred (CreateTargetGroup-only parameter; not verified in "
               "the provider source)."],
    ),
    "aws:lb/listener:Listener": dict(
        force_new=["loadBalancerArn"],
        physical_name=None, id_prefix="", id_is="Arn",
        arn=("elasticloadbalancing", "listener/{app|net}/{lbName}/{lbHex16}/{hex16}"),
        notes=["port, protocol, certificateArn, defaultActions, sslPolicy change in place "
               "(ModifyListener)."],
    ),
    "aws:appautoscaling/target:Target": dict(
        force_new=["resourceId", "scalableDimension", "serviceNamespace"],
        physical_name="resourceId", id_prefix="", id_is="PhysicalName",
        arn=("application-autoscaling", "scalable-target/{hex}"),
        notes=["Id is the resourceId (e.g. service/<cluster>/<service>); unique together with "
               "serviceNamespace and scalableDimension."],
    ),
    "aws:appautoscaling/policy:Policy": dict(
        force_new=["name", "resourceId", "scalableDimension", "serviceNamespace"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("autoscaling", "scalingPolicy:{uuid}:resource/{ns}/{resourceId}:policyName/{name}"),
        notes=["name is unique per scalable target."],
    ),
    "aws:cloudwatch/logGroup:LogGroup": dict(
        force_new=["logGroupClass", "name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("logs", "log-group:{name}"),
        notes=[],
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": dict(
        force_new=["name"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("cloudwatch", "alarm:{name}"),
        notes=["pulumi-aws exposes Terraform's alarm_name as `name`. Everything else is "
               "PutMetricAlarm, in place."],
    ),
    "aws:cloudwatch/dashboard:Dashboard": dict(
        force_new=["dashboardName"],
        physical_name="dashboardName", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["The ARN output is `dashboardArn` (arn:...:cloudwatch::{account}:dashboard/{name}),"
               " not `arn`, so arn_service is None."],
    ),
    "aws:sns/topic:Topic": dict(
        force_new=["fifoTopic", "name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("sns", "{name}"),
        notes=[],
    ),
    "aws:sns/topicSubscription:TopicSubscription": dict(
        force_new=["endpoint", "protocol", "topic"],
        physical_name=None, id_prefix="", id_is="Arn",
        arn=("sns", "{topicName}:{uuid}"),
        notes=[],
    ),
    "aws:kms/key:Key": dict(
        force_new=["customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion",
                   "xksKeyId"],
        physical_name=None, id_prefix="", id_is="Generated",
        arn=("kms", "key/{id}"),
        notes=["Real key ids are UUIDs without a prefix; the in-memory cloud may format them so."],
    ),
    "aws:kms/alias:Alias": dict(
        force_new=["name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("kms", "{name}"),
        notes=["targetKeyId changes in place (UpdateAlias). name includes the alias/ prefix."],
    ),
    "aws:secretsmanager/secret:Secret": dict(
        force_new=["name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="Arn",
        arn=("secretsmanager", "secret:{name}-{random6}"),
        notes=["type (newer input): replace behaviour not verified; treated as in place."],
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": dict(
        force_new=["secretBinary", "secretId", "secretString"],
        physical_name=None, id_prefix="", id_is="Composite",
        arn=("secretsmanager", "secret:{name}-{random6}"),
        notes=["Id: \"<secretArn>|<versionId>\"; arn is the secret's. versionStages change in "
               "place (UpdateSecretVersionStage). secretStringWo (write-only) is not verified."],
    ),
    "aws:s3/bucket:Bucket": dict(
        force_new=["bucket", "bucketNamespace", "bucketPrefix", "objectLockEnabled"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=("s3", "{bucket}"),
        notes=[
            "bucketNamespace: inferred (part of the bucket's identity); not verified in the "
            "provider source.",
            "objectLockConfiguration.objectLockEnabled (deprecated nested field) is ForceNew too.",
            "S3 ARNs have empty region and account fields: arn:aws:s3:::{bucket}.",
        ],
    ),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": dict(
        force_new=["peerOwnerId", "peerRegion", "peerVpcId", "vpcId"],
        physical_name=None, id_prefix="pcx-", id_is="Generated",
        arn=None,
        notes=["autoAccept (accepts a pending connection), accepter / requester options "
               "(ModifyVpcPeeringConnectionOptions, active connections only) and tags change "
               "in place."],
    ),
    "aws:s3/bucketVersioning:BucketVersioning": dict(
        force_new=["bucket", "expectedBucketOwner"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["Id: the bucket name (\"<bucket>,<expectedBucketOwner>\" when that is set). "
               "versioningConfiguration and mfa change in place; delete suspends versioning."],
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": dict(
        force_new=["bucket", "expectedBucketOwner"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["Id: the bucket name. rules change in place (PutBucketEncryption)."],
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": dict(
        force_new=["bucket"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["Id: the bucket name. The four flags change in place."],
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": dict(
        force_new=["bucket", "expectedBucketOwner"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["Id: the bucket name. rules and transitionDefaultMinimumObjectSize change in place "
               "(the whole configuration is put again)."],
    ),
    "aws:s3/bucketPolicy:BucketPolicy": dict(
        force_new=["bucket"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["Id: the bucket name. policy changes in place."],
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": dict(
        force_new=["name", "namePrefix"],
        physical_name="name", id_prefix="lt-", id_is="Generated",
        arn=("ec2", "launch-template/{id}"),
        notes=["Every other input changes in place: the template data as a new version "
               "(made the default with updateDefaultVersion), defaultVersion with "
               "ModifyLaunchTemplate, tags with CreateTags / DeleteTags."],
    ),
    "aws:autoscaling/group:Group": dict(
        force_new=["name", "namePrefix"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("autoscaling", "autoScalingGroup:{uuid}:autoScalingGroupName/{name}"),
        notes=["Sizes, subnets, launch template, health checks, target groups and tags change in "
               "place. tags is a list of {key, value, propagateAtLaunch}; there is no tagsAll."],
    ),
    "aws:autoscaling/policy:Policy": dict(
        force_new=["autoscalingGroupName", "name"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("autoscaling", "scalingPolicy:{uuid}:autoScalingGroupName/{group}:policyName/{name}"),
        notes=["Everything else changes in place (PutScalingPolicy). name is unique per group."],
    ),
    "aws:ssm/parameter:Parameter": dict(
        force_new=["dataType", "name"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("ssm", "parameter{name}"),
        notes=["value, type, description, tier, keyId, allowedPattern change in place "
               "(PutParameter with Overwrite: a new version). The ARN has no slash before a "
               "name that starts with one."],
    ),
    "aws:ec2/flowLog:FlowLog": dict(
        force_new=["deliverCrossAccountRole", "destinationOptions", "eniId", "iamRoleArn",
                   "logDestination", "logDestinationType", "logFormat", "maxAggregationInterval",
                   "regionalNatGatewayId", "subnetId", "tagFieldSpecifications", "trafficType",
                   "transitGatewayAttachmentId", "transitGatewayId", "vpcId"],
        physical_name=None, id_prefix="fl-", id_is="Generated",
        arn=("ec2", "vpc-flow-log/{id}"),
        notes=["Only tags change in place."],
    ),
    "aws:ec2/networkAcl:NetworkAcl": dict(
        force_new=["vpcId"],
        physical_name=None, id_prefix="acl-", id_is="Generated",
        arn=("ec2", "network-acl/{id}"),
        notes=["subnetIds (ReplaceNetworkAclAssociation), inline ingress/egress and tags change "
               "in place."],
    ),
    "aws:ec2/networkAclRule:NetworkAclRule": dict(
        force_new=["cidrBlock", "egress", "fromPort", "icmpCode", "icmpType", "ipv6CidrBlock",
                   "networkAclId", "protocol", "ruleAction", "ruleNumber", "toPort"],
        physical_name=None, id_prefix="", id_is="Composite",
        arn=None,
        notes=["Every input forces replacement (the Terraform resource has no update).",
               "Id: Terraform hashes \"nacl-<hash>\"; tapctl uses the import form "
               "\"<networkAclId>:<ruleNumber>:<protocol>:<egress>\"."],
    ),
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": dict(
        force_new=["networkAclId", "subnetId"],
        physical_name=None, id_prefix="aclassoc-", id_is="Generated",
        arn=None,
        notes=["Deleting moves the subnet back to its VPC's default network ACL."],
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": dict(
        force_new=["bucket"],
        physical_name="bucket", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=["Id: the bucket name. role and rules change in place (PutBucketReplication); "
               "token (Object Lock) is not verified."],
    ),
    "aws:route53/zone:Zone": dict(
        force_new=["delegationSetId", "name"],
        physical_name=None, id_prefix="Z", id_is="Generated",
        arn=("route53", "hostedzone/{id}"),
        notes=[
            "Route 53 is global: no region input. Zone names are not unique, so name is not a "
            "physical name. comment changes in place (UpdateHostedZoneComment), vpcs in place "
            "(associate / disassociate).",
            "Real zone ids are uppercase alphanumerics after the Z; ARNs have empty region and "
            "account fields.",
        ],
    ),
    "aws:route53/record:Record": dict(
        force_new=["name", "setIdentifier", "type", "zoneId"],
        physical_name=None, id_prefix="", id_is="Composite",
        arn=None,
        notes=[
            "Id: \"<zoneId>_<name>_<type>[_<setIdentifier>]\".",
            "type and setIdentifier: Terraform changes them with one DELETE + CREATE batch and a "
            "new id; tapctl's update keeps the id, so here they replace.",
            "ttl, records, aliases, weightedRoutingPolicies, healthCheckId change in place (UPSERT).",
        ],
    ),
    "aws:cloudfront/originAccessControl:OriginAccessControl": dict(
        force_new=[],
        physical_name="name", id_prefix="E", id_is="Generated",
        arn=("cloudfront", "origin-access-control/{id}"),
        notes=[
            "Every input changes in place (UpdateOriginAccessControl with If-Match on the ETag); "
            "the Terraform resource has no ForceNew argument.",
            "name is unique per account (OriginAccessControlAlreadyExists), so it is the physical "
            "name; the id is still CloudFront-generated.",
            "CloudFront is global: no region input. Real ids are uppercase alphanumerics after the "
            "E; ARNs have an empty region field: arn:aws:cloudfront::{account}:origin-access-control/{id}.",
            "The arn output is newer than the Terraform resource read for this table; its form is "
            "CloudFront's documented one, not verified in the provider source.",
        ],
    ),
    "aws:cloudfront/distribution:Distribution": dict(
        force_new=["staging"],
        physical_name=None, id_prefix="E", id_is="Generated",
        arn=("cloudfront", "distribution/{id}"),
        notes=[
            "Everything but staging changes in place: UpdateDistribution with the whole config "
            "and If-Match on the ETag from GetDistribution(Config); tags by TagResource.",
            "Delete disables the distribution first (update with Enabled=false, wait for "
            "Deployed), then DeleteDistribution with If-Match, as Terraform does; retainOnDelete "
            "stops after the disable.",
            "callerReference is generated by the provider at create (Terraform: a timestamp-based "
            "unique id) and never changes.",
            "CloudFront is global: no region input. ARNs have an empty region field; hostedZoneId "
            "is always Z2FDTNDATAQYW2; domainName is <random>.cloudfront.net.",
        ],
    ),
    "aws:cfg/recorder:Recorder": dict(
        force_new=["name"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=[
            "name defaults to \"default\" in Terraform; one recorder per region and account.",
            "roleArn, recordingGroup and recordingMode change in place (PutConfigurationRecorder).",
        ],
    ),
    "aws:cfg/deliveryChannel:DeliveryChannel": dict(
        force_new=["name"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=[
            "name defaults to \"default\" in Terraform; one channel per region and account.",
            "Everything else changes in place (PutDeliveryChannel). Delete fails with "
            "LastDeliveryChannelDeleteFailedException while a recorder is running, so the "
            "recorder status must go first.",
        ],
    ),
    "aws:cfg/recorderStatus:RecorderStatus": dict(
        force_new=[],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=None,
        notes=[
            "Id: the recorder's name. Not a resource of its own in AWS: create and update start "
            "or stop the recorder (Start/StopConfigurationRecorder), delete stops it.",
            "name is Required without ForceNew in the current provider (a change re-targets the "
            "status); older 5.x schemas may differ, not verified. Starting needs a delivery "
            "channel (NoAvailableDeliveryChannelException).",
        ],
    ),
    "aws:cfg/rule:Rule": dict(
        force_new=["name"],
        physical_name="name", id_prefix="", id_is="PhysicalName",
        arn=("config", "config-rule/config-rule-{random6}"),
        notes=[
            "Everything else changes in place (PutConfigRule with the whole rule; tags by "
            "TagResource). ruleId is the config-rule-xxxxxx id AWS assigns.",
            "evaluationModes is Optional+Computed in Terraform; its replace behaviour is in place.",
        ],
    ),
}

# The catalog must list exactly these tokens, in this order.
TOKENS = [
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/eip:Eip",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/networkAcl:NetworkAcl",
    "aws:ec2/networkAclRule:NetworkAclRule",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/instance:Instance",
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:ecs/cluster:Cluster",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:ecs/service:Service",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:lb/listener:Listener",
    "aws:autoscaling/group:Group",
    "aws:autoscaling/policy:Policy",
    "aws:appautoscaling/target:Target",
    "aws:appautoscaling/policy:Policy",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:cloudwatch/dashboard:Dashboard",
    "aws:sns/topic:Topic",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:secretsmanager/secret:Secret",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:route53/zone:Zone",
    "aws:route53/record:Record",
    "aws:ssm/parameter:Parameter",
    "aws:cloudfront/originAccessControl:OriginAccessControl",
    "aws:cloudfront/distribution:Distribution",
    "aws:cfg/recorder:Recorder",
    "aws:cfg/deliveryChannel:DeliveryChannel",
    "aws:cfg/recorderStatus:RecorderStatus",
    "aws:cfg/rule:Rule",
]

ID_STYLES = ("Generated", "PhysicalName", "Arn", "Composite")


def fail(msg: str) -> None:
    print(f"gen_catalog: error: {msg}", file=sys.stderr)
    sys.exit(1)


def rust_str(s: str) -> str:
    return json.dumps(s)  # JSON string escaping is valid Rust for these ASCII names


def rust_list(items: list[str]) -> str:
    return "&[" + ", ".join(rust_str(i) for i in items) + "]"


def build_kinds(schema: dict) -> list[dict]:
    resources = schema.get("resources")
    if not isinstance(resources, dict):
        fail("schema has no `resources` object")
    if sorted(FACTS) != sorted(TOKENS) or len(set(TOKENS)) != len(TOKENS):
        fail("FACTS keys and TOKENS differ or TOKENS has duplicates")
    missing = [t for t in TOKENS if t not in resources]
    if missing:
        fail("tokens not in the schema: " + ", ".join(missing))

    kinds = []
    for token in TOKENS:
        res, facts = resources[token], FACTS[token]
        inputs = sorted(res["inputs"])
        required = sorted(res["required"])
        outputs = sorted(res["outputs"])
        force_new = set(facts["force_new"])
        if REGION_FORCES_NEW and "region" in inputs:
            force_new.add("region")
        bad = sorted(force_new - set(inputs))
        if bad:
            fail(f"{token}: force_new names unknown inputs {bad}")
        if "tags" in force_new:
            fail(f"{token}: tags never force replacement")
        physical = facts["physical_name"]
        if physical is not None and physical not in inputs:
            fail(f"{token}: physical_name {physical!r} is not an input")
        id_is = facts["id_is"]
        if id_is not in ID_STYLES:
            fail(f"{token}: unknown id style {id_is!r}")
        if id_is == "PhysicalName" and physical is None:
            fail(f"{token}: id_is PhysicalName needs a physical_name")
        arn = facts["arn"]
        if (arn is not None) != ("arn" in outputs):
            fail(f"{token}: arn facts disagree with the schema's outputs (arn output present: "
                 f"{'arn' in outputs})")
        kinds.append(dict(
            token=token, inputs=inputs, required=required, outputs=outputs,
            force_new=sorted(force_new), taggable="tags" in inputs, physical_name=physical,
            id_prefix=facts["id_prefix"], id_is=id_is, arn=arn, notes=facts["notes"],
        ))
    return kinds


HEADER = """\
//! Catalog of the pulumi-aws resource kinds tapctl supports.
//!
//! GENERATED FILE, do not edit by hand. `scripts/gen_catalog.py` writes it from
//! `{schema_rel}` (@pulumi/aws {version}) and a hand-written table kept
//! inside that script: edit the table and re-run `python3 scripts/gen_catalog.py`.
//!
//! The schema extract gives, per type token, the input names, required inputs and output names. It
//! says nothing about which inputs force a replacement, which input names the resource in AWS, how
//! AWS forms its id or which ARN it gets, yet the engine needs exactly that: to validate inputs
//! before any cloud call, to decide update-in-place versus replace (pulumi-aws is bridged from
//! hashicorp/terraform-provider-aws 6.x, so a property is replace-on-change where that provider's
//! schema says `ForceNew`), and to let the in-memory cloud mint realistic ids and outputs. The
//! table in the script holds those facts, researched per resource in the provider's source; the
//! `// note:` comments below record conditional replace rules that a static list cannot express,
//! and `// arn resource:` comments give the last ARN segment, the part after
//! `arn:{partition}:{service}:{region}:{account}:`. `region` (Terraform 6.x enhanced region
//! support) forces replacement wherever it is an input.
"""

BODY = """\
/// What tapctl knows about one pulumi-aws resource type.
#[derive(Debug)]
pub struct Kind {
    /// The pulumi-aws type token, e.g. `aws:ec2/vpc:Vpc`.
    pub token: &'static str,
    /// Every input property name in the schema, sorted.
    pub inputs: &'static [&'static str],
    /// The inputs the schema marks as required, sorted.
    pub required: &'static [&'static str],
    /// Every output property name in the schema, sorted.
    pub outputs: &'static [&'static str],
    /// Top-level inputs whose change forces a replacement in pulumi-aws (Terraform `ForceNew`),
    /// sorted. Conditional cases are documented next to each entry in [`KINDS`].
    pub force_new: &'static [&'static str],
    /// Whether the kind takes a `tags` input.
    pub taggable: bool,
    /// The input that is the resource's unique name in AWS when set (e.g. `name` for a target
    /// group, `clusterIdentifier` for an RDS cluster); `None` when AWS names it by id only.
    pub physical_name: Option<&'static str>,
    /// The prefix of AWS-generated ids (`vpc-`, `sg-`, ...); empty when the id is a name, an ARN
    /// or a composite without a fixed prefix.
    pub id_prefix: &'static str,
    /// How the cloud id is formed.
    pub id_is: IdStyle,
    /// The ARN service segment (`ec2`, `rds`, `iam`, ...) when the kind has an `arn` output.
    pub arn_service: Option<&'static str>,
}

/// How a kind's cloud id is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStyle {
    /// AWS generates it: the kind's `id_prefix` followed by 17 lowercase hex characters.
    Generated,
    /// The id is the value of the kind's `physical_name` input.
    PhysicalName,
    /// The id is the resource's ARN.
    Arn,
    /// The id joins several inputs, e.g. a route's `rtb-..._0.0.0.0/0` or an attachment's
    /// `role/policyArn`.
    Composite,
}

/// Every supported kind, in catalog order.
pub static KINDS: &[Kind] = &[
{entries}];

/// Looks up a supported kind by token.
pub fn kind(token: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.token == token)
}
"""

TESTS = """\

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SCHEMA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/SCHEMA_REL");

    fn schema() -> serde_json::Value {
        let text = std::fs::read_to_string(SCHEMA)
            .unwrap_or_else(|e| panic!("cannot read {SCHEMA}: {e}"));
        serde_json::from_str(&text).expect("schema is valid JSON")
    }

    fn names(resource: &serde_json::Value, key: &str) -> Vec<String> {
        let mut v: Vec<String> = resource[key]
            .as_array()
            .unwrap_or_else(|| panic!("schema entry has no {key} array"))
            .iter()
            .map(|s| s.as_str().expect("property names are strings").to_owned())
            .collect();
        v.sort();
        v
    }

    fn owned(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn kinds_match_the_schema() {
        let schema = schema();
        let resources = &schema["resources"];
        for k in KINDS {
            let r = &resources[k.token];
            assert!(r.is_object(), "{} is not in the schema", k.token);
            assert_eq!(owned(k.inputs), names(r, "inputs"), "{} inputs", k.token);
            assert_eq!(owned(k.required), names(r, "required"), "{} required", k.token);
            assert_eq!(owned(k.outputs), names(r, "outputs"), "{} outputs", k.token);
        }
    }

    #[test]
    fn facts_are_consistent_with_inputs_and_outputs() {
        for k in KINDS {
            for f in k.force_new {
                assert!(k.inputs.contains(f), "{}: force_new {f} is not an input", k.token);
            }
            let mut sorted = k.force_new.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted, k.force_new, "{}: force_new sorted and unique", k.token);
            assert!(!k.force_new.contains(&"tags"), "{}: tags never replace", k.token);
            if k.inputs.contains(&"region") {
                assert!(k.force_new.contains(&"region"), "{}: region replaces", k.token);
            }
            if let Some(p) = k.physical_name {
                assert!(k.inputs.contains(&p), "{}: physical_name {p} is not an input", k.token);
            }
            assert_eq!(k.taggable, k.inputs.contains(&"tags"), "{} taggable", k.token);
            assert_eq!(
                k.arn_service.is_some(),
                k.outputs.contains(&"arn"),
                "{}: arn_service iff an arn output",
                k.token
            );
            match k.id_is {
                IdStyle::PhysicalName => {
                    assert!(k.physical_name.is_some(), "{}: id needs a name", k.token);
                    assert!(k.id_prefix.is_empty(), "{}: named ids have no prefix", k.token);
                }
                IdStyle::Arn => assert!(k.id_prefix.is_empty(), "{}: ARN ids", k.token),
                IdStyle::Generated | IdStyle::Composite => {}
            }
        }
    }

    #[test]
    fn tokens_are_unique() {
        let mut seen = HashSet::new();
        for k in KINDS {
            assert!(seen.insert(k.token), "duplicate token {}", k.token);
        }
        assert_eq!(KINDS.len(), KIND_COUNT);
    }

    #[test]
    fn kind_finds_each_token_and_rejects_unknown_ones() {
        for k in KINDS {
            let found = kind(k.token).unwrap_or_else(|| panic!("{} not found", k.token));
            assert!(std::ptr::eq(found, k));
        }
        assert!(kind("aws:ec2/vpc:Nope").is_none());
        assert!(kind("aws:ec2/vpc:vpc").is_none());
        assert!(kind("").is_none());
    }
}
"""


def render(kinds: list[dict], version: str) -> str:
    entries = []
    for k in kinds:
        lines = []
        for note in k["notes"]:
            lines += textwrap.wrap(note, width=100, initial_indent="    // note: ",
                                   subsequent_indent="    //       ", break_on_hyphens=False)
        if k["arn"] is not None:
            svc, pattern = k["arn"]
            lines.append(f"    // arn resource: {pattern}")
        physical = "None" if k["physical_name"] is None else f"Some({rust_str(k['physical_name'])})"
        arn_service = "None" if k["arn"] is None else f"Some({rust_str(k['arn'][0])})"
        lines += [
            "    Kind {",
            f"        token: {rust_str(k['token'])},",
            f"        inputs: {rust_list(k['inputs'])},",
            f"        required: {rust_list(k['required'])},",
            f"        outputs: {rust_list(k['outputs'])},",
            f"        force_new: {rust_list(k['force_new'])},",
            f"        taggable: {'true' if k['taggable'] else 'false'},",
            f"        physical_name: {physical},",
            f"        id_prefix: {rust_str(k['id_prefix'])},",
            f"        id_is: IdStyle::{k['id_is']},",
            f"        arn_service: {arn_service},",
            "    },",
        ]
        entries.append("\n".join(lines) + "\n")
    header = HEADER.replace("{schema_rel}", SCHEMA_REL).replace("{version}", version)
    body = BODY.replace("{entries}", "".join(entries))
    tests = TESTS.replace("SCHEMA_REL", SCHEMA_REL).replace("KIND_COUNT", str(len(kinds)))
    return header + "\n" + body + tests


def rustfmt(text: str) -> str:
    exe = shutil.which("rustfmt")
    if exe is None:
        print("gen_catalog: warning: rustfmt not found, output left unformatted", file=sys.stderr)
        return text
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "catalog.rs"
        path.write_text(text)
        # The repository's rustfmt.toml, as `cargo fmt` applies it: otherwise the
        # next `cargo fmt` reformats the file and `--check` calls it stale.
        config = ["--config-path", str(REPO / "rustfmt.toml")] if (REPO / "rustfmt.toml").exists() else []
        subprocess.run([exe, "--edition", "2021", *config, str(path)], check=True)
        return path.read_text()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="fail if --out is not up to date")
    args = ap.parse_args()

    schema = json.loads(args.schema.read_text())
    kinds = build_kinds(schema)
    text = rustfmt(render(kinds, schema.get("version", "?")))
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            fail(f"{args.out} is stale; run scripts/gen_catalog.py")
        print(f"{args.out} is up to date ({len(kinds)} kinds)")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(kinds)} kinds)")


if __name__ == "__main__":
    main()
