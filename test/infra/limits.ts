import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/**
 * AWS limits a synthesized app must respect, each with the share of it the app may use (the headroom
 * is what later rows, longer names and real ARNs may still take).
 */
export const LIMITS = {
  /** CloudFormation: resources per stack (template). */
  resources: { limit: 500, share: 0.8 },
  outputs: { limit: 200, share: 0.8 },
  parameters: { limit: 200, share: 0.8 },
  /** CloudFormation: template body uploaded through S3, bytes (cdk writes and uploads the file as is). */
  templateBytes: { limit: 1_048_576, share: 0.6 },
  /** IAM: all inline policies of one role together, characters without whitespace. */
  rolePolicyChars: { limit: 10_240, share: 0.75 },
  /** Lambda: all environment variables of a function, keys and values, bytes. */
  environmentBytes: { limit: 4_096, share: 0.75 },
  /** OpenSearch domain access policy, bytes. */
  domainPolicyBytes: { limit: 102_400, share: 0.5 },
  /** OpenSearch Serverless data access policy document, characters. */
  collectionPolicyChars: { limit: 20_480, share: 0.75 },
} as const;

/** What a value CloudFormation resolves at deploy time (an ARN, a name, an endpoint) may take at most. */
const RESOLVED_VALUE = 'x'.repeat(128);

type Json = unknown;
type Template = { Resources?: Record<string, { Type: string; Properties?: Record<string, any> }>; Outputs?: object; Parameters?: object };

/** The JSON with every intrinsic function (Ref, Fn::*) replaced by the longest value it may resolve to. */
function resolvedWorstCase(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolvedWorstCase);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      if (keys[0] === 'Fn::Join') {
        const [delimiter, parts] = (value as { 'Fn::Join': [string, Json[]] })['Fn::Join'];
        return parts.map((p) => (typeof p === 'string' ? p : RESOLVED_VALUE)).join(delimiter);
      }
      return RESOLVED_VALUE;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvedWorstCase(v)]));
  }
  return value;
}

const compactLength = (value: Json): number => JSON.stringify(resolvedWorstCase(value)).replace(/\s+/g, '').length;

export interface Usage {
  template: string;
  what: string;
  used: number;
  limit: keyof typeof LIMITS;
}

/** Every measured figure of every template of the assembly (nested ones included). */
export function measure(assembly: CloudAssembly): Usage[] {
  const usage: Usage[] = [];
  const rolePolicies = new Map<string, number>();
  const files = readdirSync(assembly.directory).filter((f) => f.endsWith('.template.json'));
  for (const file of files) {
    const path = join(assembly.directory, file);
    const template = JSON.parse(readFileSync(path, 'utf8')) as Template;
    const resources = Object.entries(template.Resources ?? {});
    const at = (what: string, used: number, limit: keyof typeof LIMITS) => usage.push({ template: file, what, used, limit });
    at('resources', resources.length, 'resources');
    at('outputs', Object.keys(template.Outputs ?? {}).length, 'outputs');
    at('parameters', Object.keys(template.Parameters ?? {}).length, 'parameters');
    at('template size', statSync(path).size, 'templateBytes');
    for (const [id, resource] of resources) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::Lambda::Function') {
        const variables = resolvedWorstCase(props.Environment?.Variables ?? {}) as Record<string, string>;
        at(
          `${id} environment`,
          Object.entries(variables).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(String(v)), 0),
          'environmentBytes',
        );
      }
      if (resource.Type === 'AWS::IAM::Role') {
        const inline = (props.Policies ?? []).reduce((n: number, p: { PolicyDocument: Json }) => n + compactLength(p.PolicyDocument), 0);
        const key = `${file}:${id}`;
        rolePolicies.set(key, (rolePolicies.get(key) ?? 0) + inline);
      }
      if (resource.Type === 'AWS::IAM::Policy') {
        for (const role of props.Roles ?? []) {
          // a role of this template (Ref) or one imported from another stack (by name from its ARN)
          const key = role.Ref ? `${file}:${role.Ref}` : JSON.stringify(role);
          rolePolicies.set(key, (rolePolicies.get(key) ?? 0) + compactLength(props.PolicyDocument));
        }
      }
      if (resource.Type === 'AWS::OpenSearchService::Domain' && props.AccessPolicies) {
        at(`${id} access policy`, compactLength(props.AccessPolicies), 'domainPolicyBytes');
      }
      if (resource.Type === 'AWS::OpenSearchServerless::AccessPolicy') {
        at(`${id} data access policy`, compactLength(props.Policy), 'collectionPolicyChars');
      }
    }
  }
  for (const [role, chars] of rolePolicies)
    usage.push({ template: '(roles)', what: `${role} inline policies`, used: chars, limit: 'rolePolicyChars' });
  return usage;
}

/** Fails with every figure over its budget (limit × share). */
export function expectWithinLimits(assembly: CloudAssembly): Usage[] {
  const usage = measure(assembly);
  const over = usage
    .filter((u) => u.used > LIMITS[u.limit].limit * LIMITS[u.limit].share)
    .map((u) => `${u.template} ${u.what}: ${u.used} > ${LIMITS[u.limit].share} × ${LIMITS[u.limit].limit}`);
  expect(over).toEqual([]);
  return usage;
}
