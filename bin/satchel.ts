#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildSatchel } from '../lib/app';

buildSatchel(new App());
