// schemas/agent-api.yaml is the API contract and the agent validates with it: each route's
// body and query schemas, and the path parameter rules, are taken from the OpenAPI document
// rather than written a second time in code. Read once per process.

import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import {parse} from 'yaml';

// Same depth from src/lib/agent/routes and dist/lib/agent/routes.
export const API_SPEC_FILE = fileURLToPath(new URL('../../../../schemas/agent-api.yaml', import.meta.url));

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, Json>>;
  components: Record<string, Record<string, Json>>;
}

export type HttpMethod = 'get' | 'post' | 'delete';

export interface OperationSchemas {
  body?: Json;
  /** A body the client may leave out; the agent then sees `{}`. */
  bodyOptional: boolean;
  querystring?: Json;
}

/** Checks one path parameter's raw value; the message names what a valid value looks like. */
export type ParamCheck = (value: string) => boolean;

let cached: OpenApiDocument | undefined;

export function loadApiSpec(): OpenApiDocument {
  cached ??= parse(readFileSync(API_SPEC_FILE, 'utf8')) as OpenApiDocument;
  return cached;
}

function resolveRef(doc: OpenApiDocument, ref: string): Json {
  const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref);
  const target = m ? doc.components[m[1]]?.[m[2]] : undefined;
  if (!target) throw new Error(`agent-api.yaml: unresolved $ref "${ref}"`);
  return target;
}

/** A copy of `value` with every `$ref` replaced by what it points to (request schemas have no cycles). */
function inline(doc: OpenApiDocument, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(doc, v));
  if (value === null || typeof value !== 'object') return value;
  const map = value as Json;
  if (typeof map.$ref === 'string') return inline(doc, resolveRef(doc, map.$ref));
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, inline(doc, v)]));
}

function parametersOf(doc: OpenApiDocument, path: string, method: HttpMethod): Json[] {
  const item = doc.paths[path];
  const all = [...((item?.parameters as unknown as unknown[]) ?? []), ...((item?.[method]?.parameters as unknown[]) ?? [])];
  return all.map((p) => inline(doc, p) as Json);
}

/** The fastify schemas of one operation; throws when the document lacks it (a programming error). */
export function operationSchemas(doc: OpenApiDocument, method: HttpMethod, path: string): OperationSchemas {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`agent-api.yaml does not describe ${method.toUpperCase()} ${path}`);
  const out: OperationSchemas = {bodyOptional: false};
  if (op.requestBody) {
    const body = inline(doc, op.requestBody) as {required?: boolean; content?: Record<string, {schema?: Json}>};
    out.body = body.content?.['application/json']?.schema;
    out.bodyOptional = body.required !== true;
  }
  const query = parametersOf(doc, path, method).filter((p) => p.in === 'query');
  if (query.length > 0) {
    const properties = Object.fromEntries(query.map((p) => [p.name as string, p.schema as Json]));
    const required = query.filter((p) => p.required === true).map((p) => p.name as string);
    out.querystring = {type: 'object', properties, ...(required.length ? {required} : {})};
  }
  return out;
}

/** `/v1/projects/{project}` → `/v1/projects/:project`. */
export function fastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** One check per path parameter name, from `components.parameters`. */
export function pathParamChecks(doc: OpenApiDocument): Map<string, ParamCheck> {
  const out = new Map<string, ParamCheck>();
  for (const raw of Object.values(doc.components.parameters ?? {})) {
    const p = inline(doc, raw) as {name: string; in: string; schema: {type?: string; pattern?: string; minimum?: number; maximum?: number}};
    if (p.in !== 'path') continue;
    const {type, pattern, minimum = -Infinity, maximum = Infinity} = p.schema;
    if (type === 'integer') {
      out.set(p.name, (v) => /^[0-9]{1,15}$/.test(v) && Number(v) >= minimum && Number(v) <= maximum);
    } else if (pattern !== undefined) {
      const re = new RegExp(pattern);
      out.set(p.name, (v) => re.test(v));
    }
  }
  return out;
}
