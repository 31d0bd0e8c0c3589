import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { VECTOR_INDEX_HANDLER } from '../functions';
import type { AccessLevel } from '../../lambdas/routes';
import type { Settings } from '../settings';
import { acknowledge } from '../nag';
import { SatchelFunction } from './satchel-function';
import type { SearchClient } from '../functions';

export interface VectorSearchProps {
  settings: Settings;
  clients: SearchClient[];
  lambdasRoot?: string;
}

export const VECTOR_INDEX_NAME = 'satchel-items';

const DOMAIN_ACTIONS: Record<AccessLevel, string[]> = {
  read: ['es:ESHttpGet', 'es:ESHttpPost'],
  write: ['es:ESHttpGet', 'es:ESHttpHead', 'es:ESHttpPost', 'es:ESHttpPut', 'es:ESHttpDelete'],
};
/**
 * Paths (under the domain ARN) each level may call. A search-only role reaches `<index>/_search` and
 * nothing else: no `_bulk`, `_delete_by_query`, `_update_by_query`, document or cluster API. Both the
 * identity policy and the domain's resource policy are scoped, since within one account either would allow.
 */
const domainPaths = (level: AccessLevel): string[] => (level === 'read' ? [`${VECTOR_INDEX_NAME}/_search`] : ['*']);
/**
 * Serverless data access policies grant per index, not per path: `ReadDocument` allows searches and
 * document reads (`_search`, `_msearch`, `_count`, GET `_doc`, `_mget`), never a write; `_bulk`,
 * `_delete_by_query` and document writes need `WriteDocument`.
 */
const COLLECTION_INDEX_PERMISSIONS: Record<AccessLevel, string[]> = {
  read: ['aoss:DescribeIndex', 'aoss:ReadDocument'],
  write: ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'],
};
const INDEX_ADMIN_PERMISSIONS = ['aoss:CreateIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex'];

/**
 * The k-NN index of item chunks: an OpenSearch managed domain (default) or, with context
 * `vectorBackend=serverless`, an OpenSearch Serverless vector collection. The roles of the functions
 * that search are made here, because the domain's resource policy (and the collection's data access
 * policy) name them one by one: no other principal can reach the index.
 */
export class VectorSearch extends Construct {
  readonly serverless: boolean;
  /** `https://…` of the domain or collection. */
  readonly endpoint: string;
  readonly indexName = VECTOR_INDEX_NAME;
  /** Domain or collection name (domain: `OPENSEARCH_DOMAIN_NAME`). */
  readonly name: string;
  private readonly resourceArn: string;
  private readonly clientRoles = new Map<string, iam.Role>();

  constructor(scope: Construct, id: string, props: VectorSearchProps) {
    super(scope, id);
    const { settings } = props;
    this.serverless = settings.vectorBackend === 'serverless';
    this.name = settings.vectorStoreName;
    for (const client of props.clients) {
      this.clientRoles.set(
        client.name,
        new iam.Role(this, `${client.name}Role`, {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          description: `Satchel ${client.name}: ${client.level} access to the vector index`,
        }),
      );
    }

    const indexLogs = new logs.LogGroup(this, 'IndexProviderLogs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const indexFunctionRole = new iam.Role(this, 'CreateIndexRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Satchel: creates the k-NN index',
    });
    const adminPrincipal = { arn: indexFunctionRole.roleArn };
    const clients = [...this.clientRoles].map(([name, role]) => ({
      arn: role.roleArn,
      level: props.clients.find((c) => c.name === name)!.level,
    }));

    let environment: Record<string, string>;
    let waitFor: Construct;
    if (this.serverless) {
      const collection = this.collection(clients, adminPrincipal.arn);
      this.resourceArn = collection.attrArn;
      this.endpoint = collection.attrCollectionEndpoint;
      environment = { OPENSEARCH_SERVERLESS: 'true' };
      waitFor = collection;
    } else {
      const domain = this.domain(settings, clients, adminPrincipal.arn);
      // From the fixed name, not a reference: grants in other stacks then need no cross-stack value.
      this.resourceArn = this.domainArn(settings);
      this.endpoint = `https://${domain.domainEndpoint}`;
      environment = { OPENSEARCH_SERVERLESS: 'false', OPENSEARCH_DOMAIN_NAME: domain.domainName };
      indexFunctionRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['es:DescribeDomain'],
          resources: [domain.domainArn],
        }),
      );
      waitFor = domain;
    }
    this.grant(indexFunctionRole, 'write');

    const createIndex = new SatchelFunction(this, 'CreateIndex', {
      handler: VECTOR_INDEX_HANDLER,
      description: 'Satchel: creates the k-NN index of item chunks (CloudFormation custom resource)',
      lambdasRoot: props.lambdasRoot,
      logRetentionDays: settings.logRetentionDays,
      sourceMapStackTraces: settings.sourceMapStackTraces,
      role: indexFunctionRole,
      // The handler waits for the domain to be reachable; Lambda's maximum keeps it from giving up early.
      timeout: Duration.minutes(15),
      environment: {
        ...environment,
        OPENSEARCH_ENDPOINT: this.endpoint,
        OPENSEARCH_INDEX: this.indexName,
        EMBEDDING_DIMENSION: String(settings.embeddingDimension),
      },
    });
    const provider = new cr.Provider(this, 'IndexProvider', {
      onEventHandler: createIndex.function,
      logGroup: indexLogs,
    });
    acknowledge(
      provider.node.findChild('framework-onEvent').node.findChild('ServiceRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "Role of the CDK Provider framework's own function (not configurable); the managed policy only writes its logs.",
    );
    const index = new CustomResource(this, 'Index', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SatchelVectorIndex',
      properties: { index: this.indexName, dimension: settings.embeddingDimension, endpoint: this.endpoint },
    });
    index.node.addDependency(waitFor);
  }

  /** The role a search function must use (its identity grants are added by the API stack). */
  roleArn(clientName: string): string {
    const role = this.clientRoles.get(clientName);
    if (!role) throw new Error(`${clientName} is not a vector search client of this stack`);
    return role.roleArn;
  }

  /** Identity-side permission; the resource side (domain or data access policy) is set at creation. */
  grant(grantee: iam.IGrantable, level: AccessLevel): void {
    const statement = this.serverless
      ? { actions: ['aoss:APIAccessAll'], resources: [this.resourceArn] }
      : { actions: DOMAIN_ACTIONS[level], resources: domainPaths(level).map((path) => `${this.resourceArn}/${path}`) };
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement(statement));
  }

  private domainArn(settings: Settings): string {
    return Stack.of(this).formatArn({
      service: 'es',
      resource: 'domain',
      resourceName: settings.vectorStoreName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private domain(settings: Settings, clients: { arn: string; level: AccessLevel }[], adminArn: string): opensearch.Domain {
    const domain = new opensearch.Domain(this, 'Domain', {
      domainName: settings.vectorStoreName,
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity: {
        dataNodes: 1,
        dataNodeInstanceType: settings.openSearchInstanceType,
        multiAzWithStandbyEnabled: false,
      },
      zoneAwareness: { enabled: false },
      ebs: { volumeSize: 10, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      // Fixed name: a rollback of the stack's first create must not leave it behind ("already exists" on retry).
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    // Set on the L1 resource: the L2 `accessPolicies` would add a custom resource only to learn the ARN,
    // which is known from the fixed domain name.
    const arn = this.domainArn(settings);
    const statement = (principals: string[], level: AccessLevel) =>
      new iam.PolicyStatement({
        principals: principals.map((p) => new iam.ArnPrincipal(p)),
        actions: DOMAIN_ACTIONS[level],
        resources: domainPaths(level).map((path) => `${arn}/${path}`),
      });
    const byLevel = (level: AccessLevel) => clients.filter((c) => c.level === level).map((c) => c.arn);
    const statements = [statement([adminArn, ...byLevel('write')], 'write')];
    if (byLevel('read').length > 0) statements.push(statement(byLevel('read'), 'read'));
    (domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = new iam.PolicyDocument({ statements }).toJSON();
    const reasons: [string, string][] = [
      [
        'AwsSolutions-OS1',
        'The item functions run outside the VPC (no NAT, cheaper cold starts); the domain is reached over ' +
          'HTTPS with SigV4, and its resource policy names the function roles one by one.',
      ],
      [
        'AwsSolutions-OS3',
        "Access is by IAM identity, not by IP: the resource policy allows only the search functions' roles " +
          'and the index custom resource; Lambda has no fixed source IPs to allow-list.',
      ],
      [
        'AwsSolutions-OS4',
        'Single-node starter domain (context openSearchInstanceType); dedicated masters triple the cost. ' +
          'The index can be rebuilt from DynamoDB + S3, so the domain is not the system of record.',
      ],
      ['AwsSolutions-OS7', 'Single-node starter domain: zone awareness needs two or more data nodes. The index is derived data.'],
      [
        'AwsSolutions-OS9[LogExport::SEARCH_SLOW_LOGS]',
        'Slow logs would need a log-group resource policy custom resource; ' +
          "search latency is visible in the functions' traces and logs instead.",
      ],
      [
        'AwsSolutions-OS9[LogExport::INDEX_SLOW_LOGS]',
        'Slow logs would need a log-group resource policy custom resource; ' +
          "indexing latency is visible in the functions' traces and logs instead.",
      ],
    ];
    for (const [rule, reason] of reasons) acknowledge(domain, rule, reason);
    return domain;
  }

  private collection(clients: { arn: string; level: AccessLevel }[], adminArn: string): aoss.CfnCollection {
    const name = this.name;
    const collectionRule = { ResourceType: 'collection', Resource: [`collection/${name}`] };
    const encryption = new aoss.CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name: `${name}-enc`,
      type: 'encryption',
      policy: JSON.stringify({ Rules: [collectionRule], AWSOwnedKey: true }),
    });
    // Public endpoint, but every request must be SigV4-signed by a principal of the data access policy.
    const network = new aoss.CfnSecurityPolicy(this, 'NetworkPolicy', {
      name: `${name}-net`,
      type: 'network',
      policy: JSON.stringify([{ Rules: [collectionRule], AllowFromPublic: true }]),
    });
    const collection = new aoss.CfnCollection(this, 'Collection', { name, type: 'VECTORSEARCH', standbyReplicas: 'DISABLED' });
    collection.node.addDependency(encryption, network);
    collection.applyRemovalPolicy(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE); // fixed name, like the domain

    const indexResource = [`index/${name}/*`];
    const rule = (principals: string[], permissions: string[]) => ({
      Rules: [{ ResourceType: 'index', Resource: indexResource, Permission: permissions }],
      Principal: principals,
    });
    const byLevel = (level: AccessLevel) => clients.filter((c) => c.level === level).map((c) => c.arn);
    const rules = [
      {
        Rules: [
          {
            ResourceType: 'index',
            Resource: indexResource,
            Permission: [...INDEX_ADMIN_PERMISSIONS, ...COLLECTION_INDEX_PERMISSIONS.write],
          },
          { ResourceType: 'collection', Resource: [`collection/${name}`], Permission: ['aoss:DescribeCollectionItems'] },
        ],
        Principal: [adminArn],
      },
      ...(byLevel('write').length > 0 ? [rule(byLevel('write'), COLLECTION_INDEX_PERMISSIONS.write)] : []),
      ...(byLevel('read').length > 0 ? [rule(byLevel('read'), COLLECTION_INDEX_PERMISSIONS.read)] : []),
    ];
    const dataAccess = new aoss.CfnAccessPolicy(this, 'DataAccessPolicy', {
      name: `${name}-data`,
      type: 'data',
      policy: Stack.of(this).toJsonString(rules),
    });
    collection.node.addDependency(dataAccess);
    return collection;
  }
}
