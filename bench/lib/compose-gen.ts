// A large compose file both spin and docker-compose v1 accept: `version: "3.8"` because v1
// needs it, and no top-level `name:` because v1 rejects it. Each service uses the features the
// loaders spend time on: interpolation, short syntaxes to expand, nested maps, references.

export function serviceName(index: number): string {
  return `svc${String(index).padStart(4, '0')}`;
}

export function generateCompose(services: number): string {
  const lines = ['version: "3.8"', 'services:'];
  for (let i = 0; i < services; i++) {
    lines.push(
      `  ${serviceName(i)}:`,
      '    image: "registry.example.org/science/worker:1.4"',
      '    command: ["sh", "-c", "exec worker --queue jobs"]',
      '    environment:',
      '      MODE: "${MODE:-prod}"',
      `      WORKER_INDEX: "${i}"`,
      '    ports:',
      `      - "${20000 + i}:8080"`,
      '    healthcheck:',
      '      test: ["CMD", "worker", "--health"]',
      '      interval: 30s',
      '      timeout: 5s',
      '      retries: 3',
      '    cap_drop: [ALL]',
      '    deploy:',
      '      resources:',
      '        limits:',
      '          cpus: "0.5"',
      '          memory: 256M',
    );
    if (i > 0) lines.push('    depends_on:', `      - ${serviceName(i - 1)}`);
  }
  return `${lines.join('\n')}\n`;
}
