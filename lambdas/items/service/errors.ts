import { badRequest, conflict, notFound } from '../../kit/errors';

/** The error codes of seed 003. */
export const itemNotFound = (path: string) => notFound(`No item at ${path}`, 'ITEM_NOT_FOUND');
export const itemExists = (path: string) => conflict(`An item already exists at ${path}`, 'ITEM_EXISTS');
export const invalidScope = (message: string) => badRequest(message, 'INVALID_SCOPE');
export const scopeIdRequired = (message: string) => badRequest(message, 'SCOPE_ID_REQUIRED');
export const pathRequired = (field: string) => badRequest(`${field} is required`, 'PATH_REQUIRED');
