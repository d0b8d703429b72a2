// `spin init`: writes a template's files into a folder, with the project name filled in. It never
// overwrites: a folder that already holds any of the template's files is refused as a whole, so
// a half-written project never mixes with the user's own files.

import {lstat, mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises';
import {basename, join, relative, resolve} from 'node:path';

import {normalizeProjectName} from '../compose/load.ts';
import {OperationError, UsageError} from '../errors.ts';
import {listTemplates, TEMPLATES_DIR, type TemplateInfo} from './templates.ts';

/** Stack and service names become DNS labels (the policy's `names` rule). */
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PLACEHOLDER = /\{\{name\}\}/g;

export interface InitOptions {
  /** Folder to write into; created when missing. */
  dir: string;
  template: string;
  /** The compose project (and default stack) name. Default: derived from the folder's name. */
  name?: string;
  templatesDir?: string;
}

export interface InitResult {
  dir: string;
  name: string;
  template: TemplateInfo;
  /** Paths written, relative to `dir`, sorted. */
  files: string[];
  /** What to type next, from the folder `spin init` ran in. */
  next: string[];
}

/** The name a folder suggests: its base name as a DNS label (`My Portal_2` → `my-portal-2`). */
export function defaultProjectName(dir: string): string {
  const label = normalizeProjectName(basename(resolve(dir)).replaceAll(/[\s_.]+/g, '-'))
    .replaceAll('_', '-')
    .replace(/-+$/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'app';
}

export function checkProjectName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`invalid project name "${name.slice(0, 80)}"`, {
      hint: 'use lower-case letters, digits and dashes, starting and ending with a letter or digit (e.g. --name my-portal)',
    });
  }
  return name;
}

export async function findTemplate(id: string, templatesDir = TEMPLATES_DIR): Promise<TemplateInfo> {
  const templates = await listTemplates(templatesDir);
  const found = templates.find((t) => t.id === id);
  if (!found) {
    throw new UsageError(`there is no template "${id.slice(0, 80)}"`, {hint: `choose one of: ${templates.map((t) => t.id).join(', ')} (e.g. --template ${templates[0].id})`});
  }
  return found;
}

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(root, path)));
    else out.push(relative(root, path));
  }
  return out.sort();
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

export async function initProject(options: InitOptions): Promise<InitResult> {
  const templatesDir = options.templatesDir ?? TEMPLATES_DIR;
  const template = await findTemplate(options.template, templatesDir);
  const dir = resolve(options.dir);
  const name = checkProjectName(options.name ?? defaultProjectName(dir));
  const source = join(templatesDir, template.id);
  const files = await walk(source);
  const taken = [];
  for (const file of files) if (await exists(join(dir, file))) taken.push(file);
  if (taken.length > 0) {
    throw new OperationError(`${options.dir === '.' ? 'this folder' : `"${options.dir}"`} already has ${taken.map((f) => `"${f}"`).join(', ')}: spin init writes no file over another`, {
      hint: 'run it in a new folder (`spin init my-project`), or move those files away first',
    });
  }
  for (const file of files) {
    const from = join(source, file);
    const to = join(dir, file);
    await mkdir(join(to, '..'), {recursive: true});
    const text = (await readFile(from, 'utf8')).replace(PLACEHOLDER, name);
    // Scripts (a CGI script, an entry point) keep their execute bits.
    await writeFile(to, text, {mode: (await stat(from)).mode & 0o777, flag: 'wx'});
  }
  const next = [...(options.dir === '.' ? [] : [`cd ${options.dir}`]), ...(template.before_up ?? []), 'spin up'];
  return {dir, name, template, files, next};
}
