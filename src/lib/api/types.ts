// The agent API's JSON by name, for the agent's routes and the CLI's client alike. Every shape is
// taken from schema.ts, which `npm run gen:api` generates from schemas/agent-api.yaml: the yaml is
// the one place a field is declared. Type-only, so importing it loads nothing.

import type {components, operations} from './schema.ts';

type Schemas = components['schemas'];
type Operation = keyof operations;

type SuccessContent<R> = R extends {200: {content: infer C}} ? C : R extends {201: {content: infer C}} ? C : never;

/** What a success answer carries, given an operation's `responses`: its JSON, or for a stream the type of one line. */
export type SuccessJson<R> = SuccessContent<R> extends infer C ? (C extends {'application/json': infer J} ? J : C extends {'application/x-ndjson': infer N} ? N : never) : never;

export type ResponseJson<Op extends Operation> = SuccessJson<operations[Op]['responses']>;

/** An operation's JSON request body. */
export type RequestJson<Op extends Operation> = NonNullable<operations[Op]['requestBody']> extends {content: {'application/json': infer J}} ? J : never;

/** An operation's query parameters. */
export type QueryOf<Op extends Operation> = NonNullable<operations[Op]['parameters']['query']>;

export type ErrorCode = Schemas['ErrorCode'];
export type ErrorBody = Schemas['ErrorBody'];
export type ErrorEnvelope = Schemas['ErrorEnvelope'];
/** A compose or policy problem on the wire: where it is in the model (`path`), never a client file. */
export type DiagnosticJson = Schemas['Diagnostic'];

export type HealthJson = ResponseJson<'health'>;
export type WhoamiJson = Schemas['WhoAmI'];
export type InfoJson = Schemas['Info'];
export type StackSummaryJson = Schemas['StackSummary'];
export type StackDetailJson = Schemas['StackDetail'];
export type StackStatusJson = Schemas['StackStatus'];
export type StackRemovedJson = ResponseJson<'removeStack'>;
export type LifecycleJson = ResponseJson<'stopStack'>;

export type DeployRequestJson = Schemas['DeployRequest'];
export type ScaleRequestJson = Schemas['ScaleRequest'];
export type UpgradeRequestJson = Schemas['UpgradeRequest'];
export type RollbackRequestJson = Schemas['RollbackRequest'];
export type DeployEventJson = Schemas['DeployEvent'];
export type DeployResultJson = Schemas['DeployResult'];
/** One line of a deploy-like stream: an event, then the result (or an error). */
export type DeployStreamLineJson = Schemas['DeployStreamLine'];

export type RevisionSummaryJson = Schemas['RevisionSummary'];
export type RevisionListJson = ResponseJson<'listRevisions'>;
export type RevisionJson = Schemas['Revision'];

export type LogLineJson = Schemas['LogLine'];
export type LogsQuery = QueryOf<'stackLogs'>;

export type SecretRequestJson = Schemas['SecretRequest'];
export type SecretJson = Schemas['SecretInfo'];
export type VolumeJson = Schemas['VolumeInfo'];
export type RemovedJson = ResponseJson<'removeSecret'>;
