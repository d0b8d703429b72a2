// Size limits shared by the CLI and the agent, so both refuse the same inputs with the same words.

/** One secret's value (Docker's own limit for a swarm secret is 500 KiB). */
export const MAX_SECRET_BYTES = 512 * 1024;
