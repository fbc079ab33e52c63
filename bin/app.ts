#!/usr/bin/env node
/** The CDK app: load the config named by `-c config=<file>`, create the stack, run cdk-nag. Nothing else. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BurnwatchStack } from '../lib/burnwatch-stack';
import { loadBurnwatchConfig } from '../lib/config/load';

const app = new App();
const configFile: unknown = app.node.tryGetContext('config');
if (typeof configFile !== 'string' || configFile.trim() === '') {
  throw new Error(`context config: must be the path of a Burnwatch YAML file (-c config=burnwatch.yaml), got ${JSON.stringify(configFile)}`);
}
new BurnwatchStack(app, 'Burnwatch', {
  burnwatch: loadBurnwatchConfig(configFile),
  description: 'Burnwatch: per-tenant error-budget burn-rate alerting and incident response',
});
// cdk-nag 3 runs as a policy-validation plugin (its replacement for the v2 aspect); findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
