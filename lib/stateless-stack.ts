import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { makeFunction, type FunctionContext } from './api-functions';
import type { TableId } from '../lambdas/kit/data-model';
import { AUTHORIZER_HANDLER, routeFunction, type FunctionSpec, type FunctionTables } from './functions';
import { API_URL_OUTPUT, BUCKET_NAME_OUTPUT, tableOutput } from './outputs';
import { functionName } from '../lambdas/routes';
import type { Settings } from './settings';
import type { SatchelDataStack } from './stateful-stack';
import { SurfaceStack, surfaceOf, surfaceStackId } from './surface-stack';

export { swaggerUiHooks } from './api-functions';

export interface SatchelApiStackProps extends StackProps {
  settings: Settings;
  data: SatchelDataStack;
  functionTables: FunctionTables;
  /** Where handler modules live (tests use stubs when bundling is skipped). */
  lambdasRoot?: string;
}

/** How long API Gateway caches an authorizer answer per Authorization header: a revoked key works at most this long. */
export const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/**
 * The stateless half: the HTTP API with its stage and authorizer, and one nested stack per surface
 * (handler folder) holding that surface's functions, routes and jobs, each function granted exactly
 * its row's `access` on the data stack's resources.
 */
export class SatchelApiStack extends Stack {
  readonly api: apigw.HttpApi;
  readonly surfaces = new Map<string, SurfaceStack>();

  constructor(scope: Construct, id: string, props: SatchelApiStackProps) {
    super(scope, id, props);
    const { data, settings } = props;
    const context: FunctionContext = { data, settings, lambdasRoot: props.lambdasRoot };

    const authorizerFunction = makeFunction(
      this,
      context,
      {
        name: 'Authorizer',
        handler: AUTHORIZER_HANDLER,
        description: 'Satchel API key authorizer',
        access: { tables: { apiKeys: 'read' } },
      },
      { timeout: Duration.seconds(10) },
    );
    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });

    this.api = new apigw.HttpApi(this, 'HttpApi', {
      apiName: 'satchel',
      description: 'Satchel: durable storage for AI agents',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: settings.corsOrigins,
        allowMethods: [apigw.CorsHttpMethod.ANY],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetentionDays as logs.RetentionDays,
    });
    new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
      // Beyond this API Gateway answers 429 itself, before Lambda's account concurrency runs out.
      throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
    });

    const surfaces = new Set([
      ...props.functionTables.routes.map((r) => surfaceOf(r.handler)),
      ...props.functionTables.jobs.map((j) => surfaceOf(j.handler)),
    ]);
    for (const surface of [...surfaces].sort()) {
      this.surfaces.set(
        surface,
        new SurfaceStack(this, surfaceStackId(surface), {
          description: `Satchel ${surface}: functions, routes and jobs`,
          context,
          api: this.api,
          authorizer,
          routes: props.functionTables.routes.filter((r) => surfaceOf(r.handler) === surface),
          jobs: props.functionTables.jobs.filter((j) => surfaceOf(j.handler) === surface),
        }),
      );
    }
    // once every surface exists: functions that hand requests to other routes' functions (POST /mcp)
    for (const route of props.functionTables.routes) if (route.access.invokes) this.grantInvokes(routeFunction(route));

    new CfnOutput(this, API_URL_OUTPUT, { value: this.api.apiEndpoint });
    for (const [tableId, table] of Object.entries(data.tables)) {
      new CfnOutput(this, tableOutput(tableId as TableId), { value: table.tableName });
    }
    new CfnOutput(this, BUCKET_NAME_OUTPUT, { value: data.bucket.bucketName });
  }

  /** The function of a route or job, from its surface's nested stack. */
  private functionOf(handler: string): lambda.IFunction | undefined {
    return this.surfaces.get(surfaceOf(handler))?.functions.get(functionName({ handler }));
  }

  /** Lets a function invoke exactly the functions of the routes its row `invokes` (any surface), and tells it their names. */
  private grantInvokes(spec: FunctionSpec): void {
    const fn = this.functionOf(spec.handler) as lambda.Function;
    const names: Record<string, string> = {};
    const targets = (spec.access.invokes ?? []).map((handler) => {
      const target = this.functionOf(handler);
      if (!target) throw new Error(`${spec.name} invokes ${handler}, which no route of this app serves`);
      names[handler] = target.functionName;
      return target;
    });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: targets.map((t) => t.functionArn) }));
    fn.addEnvironment('SATCHEL_ROUTE_FUNCTIONS', Stack.of(fn).toJsonString(names));
  }
}
