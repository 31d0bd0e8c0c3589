import { reportFailure } from './errors';
import { buildProgram } from './program';

buildProgram(process.argv).parseAsync(process.argv).catch(reportFailure);
