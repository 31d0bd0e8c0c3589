import { closeClients } from '../../lambdas/kit/aws';

// keep-alive sockets of the SDK clients would otherwise hold the worker open after the file
afterAll(() => closeClients());
