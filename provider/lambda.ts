/**
 * AWS Lambda entry points (API.md §4): `publicHandler` (public queue API, pages, OIDC) and
 * `adminHandler` (private admin API) for API Gateway REST (payload 1.0) and HTTP API (2.0)
 * events, and `scheduledHandler` for the EventBridge schedule (inlet ticks, expiry, status
 * events, metrics). Configuration comes from the environment (`provider/lambda/env.ts`);
 * clients are created once per container, on the first invocation.
 */
import { createLambdaHandlers } from './lambda/handlers.ts';

const handlers = createLambdaHandlers({ env: process.env });

export const publicHandler = handlers.publicHandler;
export const adminHandler = handlers.adminHandler;
export const scheduledHandler = handlers.scheduledHandler;
