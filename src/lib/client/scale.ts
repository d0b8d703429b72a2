// `spin scale web=3 worker=0`: the arguments become the replicas map the agent's scale route takes.

import {UsageError} from '../errors.ts';

export const MAX_REPLICAS = 100;

const ASSIGNMENT = /^([^=\s]+)=(.*)$/s;
const COUNT = /^\d{1,3}$/;

/** Parses `SERVICE=N` arguments; every malformed one is a usage error that quotes it. */
export function parseReplicas(args: readonly string[]): Record<string, number> {
  if (args.length === 0) {
    throw new UsageError('no replica counts given', {hint: 'pass one or more SERVICE=N, e.g. `spin scale web=3`'});
  }
  const replicas: Record<string, number> = {};
  for (const arg of args) {
    const match = ASSIGNMENT.exec(arg);
    if (!match) {
      throw new UsageError(`"${arg.slice(0, 80)}" is not of the form SERVICE=N`, {hint: 'e.g. `spin scale web=3 worker=0`'});
    }
    const [, service, value] = match;
    if (!COUNT.test(value) || Number(value) > MAX_REPLICAS) {
      throw new UsageError(`replica count "${value.slice(0, 20)}" for service "${service}" is not a whole number from 0 to ${MAX_REPLICAS}`, {
        hint: `e.g. \`spin scale ${service}=2\`; 0 stops the service but keeps it in the stack`,
      });
    }
    if (service in replicas) {
      throw new UsageError(`service "${service}" is given twice`, {hint: 'pass each service once'});
    }
    replicas[service] = Number(value);
  }
  return replicas;
}
