import { Duration, NestedStack, type NestedStackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { makeFunction, type FunctionContext } from './api-functions';
import { TABLES } from '../lambdas/kit/data-model';
import { jobFunction, routeFunction } from './functions';
import type { Job } from '../lambdas/jobs';
import { acknowledge } from './nag';
import type { Route } from '../lambdas/routes';

/**
 * The folder of a handler (`items/add-item` -> `items`): its routes and jobs share one nested stack.
 * CloudFormation allows 500 resources per stack and a route costs about 7, so the API grows by
 * folders, not by one stack that fills up; a folder that nears the limit splits into sub-folders.
 */
export const surfaceOf = (handler: string): string => handler.slice(0, Math.max(handler.lastIndexOf('/'), 0)) || 'root';

/** Construct id of a surface's nested stack: `items` -> `ItemsSurface`, `items/admin` -> `ItemsAdminSurface`. */
export const surfaceStackId = (surface: string): string =>
  `${surface
    .split(/[/-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}Surface`;

const isDocsRoute = (route: Route) => route.path === '/docs' || route.path.startsWith('/docs/');

export interface SurfaceStackProps extends NestedStackProps {
  context: FunctionContext;
  api: apigw.HttpApi;
  authorizer: apigw.IHttpRouteAuthorizer;
  routes: Route[];
  jobs: Job[];
}

/** One surface's functions with their routes on the shared HTTP API, and its jobs with their triggers. */
export class SurfaceStack extends NestedStack {
  /** Function of every route and job of the surface, by `functionName`. */
  readonly functions = new Map<string, lambda.IFunction>();
  private readonly context: FunctionContext;

  constructor(scope: Construct, id: string, props: SurfaceStackProps) {
    super(scope, id, props);
    this.context = props.context;
    for (const route of props.routes) {
      const spec = routeFunction(route);
      const fn = makeFunction(this, this.context, spec, isDocsRoute(route) ? { swaggerUi: true } : {});
      this.functions.set(spec.name, fn);
      const apiRoute = new apigw.HttpRoute(this, `${spec.name}Route`, {
        httpApi: props.api,
        routeKey: apigw.HttpRouteKey.with(route.path, route.method as apigw.HttpMethod),
        integration: new HttpLambdaIntegration(`${spec.name}Integration`, fn),
        authorizer: route.auth ? props.authorizer : undefined,
      });
      if (!route.auth) {
        acknowledge(
          apiRoute,
          'AwsSolutions-APIG4',
          `${route.method} ${route.path} is public by design (health check, API description or its docs page); it reads no tenant data.`,
        );
      }
    }
    for (const job of props.jobs) this.addJob(job);
  }

  private addJob(job: Job): void {
    const spec = jobFunction(job);
    const fn = makeFunction(this, this.context, spec, {
      timeout: Duration.seconds(job.timeoutSeconds ?? 300),
      environment: job.environment,
    });
    this.functions.set(spec.name, fn);
    if ('schedule' in job.trigger) {
      new events.Rule(this, `${spec.name}Schedule`, {
        description: spec.description,
        schedule: events.Schedule.expression(job.trigger.schedule),
        targets: [new targets.LambdaFunction(fn)],
      });
      return;
    }
    const table = this.context.data.tables[job.trigger.stream];
    const deadLetters = new sqs.Queue(this, `${spec.name}DeadLetters`, {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    acknowledge(
      deadLetters,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter destination of the stream consumer; records land here once retries are exhausted.',
    );
    const existing = new Set(fn.node.children);
    fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: job.trigger.batchSize,
        filters: job.trigger.filters.map((pattern) => lambda.FilterCriteria.filter(pattern)),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 5,
        onFailure: new SqsDlq(deadLetters),
      }),
    );
    // Another view type is another stream (another ARN under the same output): naming the mapping after it
    // replaces the mapping, so the new ARN is read, where a weak reference alone would keep the old one.
    const mapping = fn.node.children.find((c) => !existing.has(c) && c instanceof lambda.EventSourceMapping)!;
    const viewType = TABLES[job.trigger.stream].stream ?? 'NONE';
    (mapping.node.defaultChild as lambda.CfnEventSourceMapping).overrideLogicalId(
      `${spec.name}${viewType
        .split('_')
        .map((w) => w.charAt(0) + w.slice(1).toLowerCase())
        .join('')}Mapping`,
    );
  }
}
