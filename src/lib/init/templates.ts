// The project templates `spin init` writes: plain files under templates/<id>/ (data, not code),
// listed with their title and the host ports they publish in templates/index.json. The ports are
// there for `spin doctor`, which checks that they are free before a trainee's first `spin up`.

import {readFile} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

export interface TemplateInfo {
  id: string;
  title: string;
  summary: string;
  /** Host ports the template's compose file publishes by default. */
  ports: number[];
  /** Commands to run once before the first `spin up` (e.g. storing a secret). */
  before_up?: string[];
}

/** templates/ of the package: src/lib/init and dist/lib/init are both three folders below it. */
export const TEMPLATES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../templates');

export async function listTemplates(templatesDir = TEMPLATES_DIR): Promise<TemplateInfo[]> {
  const index = JSON.parse(await readFile(join(templatesDir, 'index.json'), 'utf8')) as {templates: TemplateInfo[]};
  return index.templates;
}

/** Every host port any template publishes, once each, in order. */
export async function templatePorts(templatesDir = TEMPLATES_DIR): Promise<number[]> {
  return [...new Set((await listTemplates(templatesDir)).flatMap((t) => t.ports))].sort((a, b) => a - b);
}
