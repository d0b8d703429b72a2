// Reading a service's ingress request from its compose definition:
//
//   services:
//     web:
//       x-spin:
//         ingress: {port: 8080, host: portal.example.org}   # host is optional
//
// Compose ignores `x-` keys, so the same file still runs under docker compose.

import type {Service} from '../compose/types.ts';
import {LABELS} from '../engine/types.ts';
import {InvalidInputError} from '../errors.ts';
import type {IngressRequest} from './types.ts';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HINT = 'write it as `x-spin: {ingress: {port: 8080}}`, optionally with `host: name.example.org`';

/** A lower-case DNS name of at least two labels, at most 253 characters; no wildcards. */
export function isHostName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The service's ingress request, undefined when it asks for none; a malformed one is refused. */
export function ingressRequest(service: Service, name: string): IngressRequest | undefined {
  const ext = service['x-spin'];
  if (ext === undefined || ext === null) return undefined;
  const where = `services.${name}.x-spin`;
  if (!isMap(ext)) throw new InvalidInputError(`${where} must be a mapping`, {hint: HINT});
  const ingress = ext.ingress;
  if (ingress === undefined || ingress === null) return undefined;
  if (!isMap(ingress)) throw new InvalidInputError(`${where}.ingress must be a mapping`, {hint: HINT});
  for (const key of Object.keys(ingress)) {
    if (key !== 'port' && key !== 'host') throw new InvalidInputError(`${where}.ingress has an unknown key "${key.slice(0, 60)}"`, {hint: HINT});
  }
  const port = typeof ingress.port === 'string' && /^\d{1,5}$/.test(ingress.port) ? Number(ingress.port) : ingress.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidInputError(`${where}.ingress.port must be the container port the service listens on (1-65535), not ${JSON.stringify(ingress.port ?? null)?.slice(0, 60)}`, {hint: HINT});
  }
  if (ingress.host === undefined || ingress.host === null) return {port};
  if (typeof ingress.host !== 'string' || !isHostName(ingress.host)) {
    throw new InvalidInputError(`${where}.ingress.host ${JSON.stringify(ingress.host).slice(0, 80)} is not a host name`, {
      hint: 'use a lower-case DNS name such as portal.example.org (no wildcard, no port), or leave it out for the default name',
    });
  }
  return {port, host: ingress.host};
}

/** The name a service answers to when it chose none. */
export function defaultHost(project: string, stack: string, service: string, domain: string): string {
  return `${service}.${stack}.${project}.${domain}`;
}

/** The host name and URL a service behind the ingress answers on, from its labels (both backends' status). */
export function ingressAddress(ingress: {domain: string; port?: number}, ref: {project: string; stack: string}, service: string, labels: Record<string, string>): {host: string; url: string} {
  const host = labels[LABELS.ingressHost] || defaultHost(ref.project, ref.stack, service, ingress.domain);
  const port = ingress.port;
  return {host, url: `http://${host}${port === undefined || port === 80 ? '' : `:${port}`}`};
}
