/**
 * cdk-nag (AwsSolutions pack) acknowledgements. cdk-nag 3 reports through CDK's policy validation,
 * so a finding is acknowledged with `Validations.of(construct).acknowledge` under the pack's
 * namespace; each one carries the reason it is acceptable here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Stack,
  Validations,
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type Stage,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

const NAMESPACE = 'AwsSolutions';

/** `rule` as the pack names it, e.g. `AwsSolutions-L1` or `AwsSolutions-IAM5[Resource::*]`. */
export function acknowledge(construct: IConstruct, rule: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `${NAMESPACE}::${rule}`, reason });
}

/**
 * Wildcards our grants produce on purpose. A statement is acknowledged only when ALL its actions
 * match one entry (and its wildcard resources that entry's pattern); any other wildcard stays a finding.
 */
const KNOWN_WILDCARDS: { actions: RegExp; resources?: RegExp; reason: string }[] = [
  {
    actions: /^xray:(PutTraceSegments|PutTelemetryRecords)$/,
    reason: 'Active tracing: X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
  },
  {
    actions: /^logs:(CreateLogStream|PutLogEvents)$/,
    resources: /:\*$/,
    reason: "Log streams inside the function's own log group (a log group ARN ends in :*).",
  },
  {
    actions: /^dynamodb:/,
    resources: /\/(index|stream)\/\*$/,
    reason: "The table's own global secondary indexes / stream (CDK grant); no other table is reachable.",
  },
  {
    actions: /^dynamodb:ListStreams$/,
    reason: 'dynamodb:ListStreams supports no resource-level permissions (stream event source).',
  },
  {
    actions: /^s3:/,
    reason:
      "Object keys are per tenant and created at request time, so access is to the objects under the function's own " +
      "surface prefix (sync/, items/ or deployments/) of this one bucket; the action wildcards are CDK's read/write grant " +
      'groups (GetObject*, List*, DeleteObject*, Abort*).',
  },
  {
    actions: /^es:ESHttp(Get|Head|Post|Put|Delete)$/,
    resources: /\/\*$/,
    reason: 'HTTP paths of this one OpenSearch domain (the index, its _search and _bulk endpoints).',
  },
  {
    actions: /^lambda:InvokeFunction$/,
    resources: /:\*$/,
    reason: 'Provider framework: invokes versions of the one custom resource handler it wraps.',
  },
  {
    actions: /^ecs:RunTask$/,
    resources: /task-definition\/.+:\*$/,
    reason: 'Every revision of the sandbox task family (one is registered per deployment), on the sandbox cluster only.',
  },
  {
    actions: /^ecs:(StopTask|DescribeTasks|TagResource)$/,
    resources: /task\/.+\/\*$/,
    reason: 'Tasks of the sandbox cluster only; task ids are created at launch (tagging only within RunTask).',
  },
  {
    actions: /^ecs:TagResource$/,
    resources: /task-definition\/.+:\*$/,
    reason: 'Revisions of the sandbox task family only, and only while RegisterTaskDefinition creates one (its tags).',
  },
  {
    actions: /^ecr:GetAuthorizationToken$/,
    reason: 'ECR GetAuthorizationToken supports no resource-level permissions; image pulls are limited to the one sandbox repository.',
  },
  {
    actions: /^ecs:(DescribeTaskDefinition|RegisterTaskDefinition)$/,
    reason: 'ECS DescribeTaskDefinition/RegisterTaskDefinition support no resource-level permissions.',
  },
  {
    actions: /^elasticfilesystem:(CreateAccessPoint|TagResource|DeleteAccessPoint|DescribeAccessPoints)$/,
    resources: /:access-point\/\*$/,
    reason:
      'One access point per sandbox, made at launch (its id is not known before): created only with the sandbox tags, ' +
      "tagged only while being created, deleted only when it carries the deployment tag (never the functions' access point); " +
      'described to find its deployment at stop.',
  },
  {
    actions: /^iam:(CreateRole|PutRolePolicy|DeleteRolePolicy|DeleteRole|TagRole|PassRole)$/,
    resources: /:role\/[^/*]+-sbx-\*$/,
    reason:
      'One task role per sandbox, named <stack>-sbx-<deploymentId> at launch: created and given its policy only with the sandbox ' +
      'permissions boundary (iam:PermissionsBoundary), passed only to ECS tasks.',
  },
  {
    actions: /^elasticfilesystem:Client(Mount|Write|RootAccess)$/,
    reason: 'Mount of this one file system (CDK grant).',
  },
];

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The IAM5 findings cdk-nag reports for a statement, in its own spelling. */
function wildcardFindings(statement: Statement): { actions: string[]; resources: string[] } {
  return {
    actions: list(statement.Action).filter((a) => a.includes('*')),
    resources: list(statement.Resource)
      .map(flattenCfnReference)
      .filter((r) => r.includes('*')),
  };
}

/**
 * Runs as a validation plugin, next to cdk-nag, because only the synthesized templates spell
 * cross-stack ARNs the way cdk-nag reports them (`Fn::GetStackOutput` of SatchelData); acknowledgements are
 * collected after every plugin has run, so adding them here is in time.
 */
class AcknowledgeKnownWildcards implements IPolicyValidationPlugin {
  readonly name = 'Satchel-known-wildcards';

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    // Every stack's template, nested ones included (templatePaths lists only the top-level stacks).
    const outdir = dirname(context.templatePaths[0] ?? '.');
    const policies = new Map<string, iam.CfnPolicy[]>();
    for (const node of context.appConstruct.node.findAll()) {
      if (node instanceof iam.CfnPolicy) {
        const stack = Stack.of(node);
        policies.set(stack.templateFile, [...(policies.get(stack.templateFile) ?? []), node]);
      }
    }
    for (const [templateFile, inTemplate] of policies) {
      const templatePath = join(outdir, templateFile);
      if (!existsSync(templatePath)) continue;
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
        Resources?: Record<string, { Type: string; Properties?: { PolicyDocument?: { Statement?: Statement[] } } }>;
      };
      for (const policy of inTemplate) {
        const resource = template.Resources?.[Stack.of(policy).resolve(policy.logicalId) as string];
        for (const statement of resource?.Properties?.PolicyDocument?.Statement ?? []) acknowledgeStatement(policy, statement);
      }
    }
    return { success: true, violations: [] };
  }
}

function acknowledgeStatement(policy: IConstruct, statement: Statement): void {
  if (statement.Effect !== 'Allow') return;
  const findings = wildcardFindings(statement);
  if (findings.actions.length + findings.resources.length === 0) return;
  const actions = list(statement.Action);
  const known = KNOWN_WILDCARDS.find(
    (k) => actions.every((a) => k.actions.test(a)) && (!k.resources || findings.resources.every((r) => k.resources!.test(r))),
  );
  if (!known) return;
  for (const action of findings.actions) acknowledge(policy, `AwsSolutions-IAM5[Action::${action}]`, known.reason);
  for (const resource of findings.resources) acknowledge(policy, `AwsSolutions-IAM5[Resource::${resource}]`, known.reason);
}

/** Registers, on the app, the acknowledgement of the known wildcards of every IAM policy. */
export function acknowledgeKnownWildcards(app: Stage): void {
  Validations.of(app).addPlugins(new AcknowledgeKnownWildcards());
}
