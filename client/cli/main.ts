import { reportFailure } from './errors';
import { buildProgram } from './program';

buildProgram().parseAsync(process.argv).catch(reportFailure);
