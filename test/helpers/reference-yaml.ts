// The YAML phase as it was before the js-yaml rewrite: the `yaml` package's node tree, walked.
// Kept only so parse-reference.test.ts can check that the faster parser gives the same values,
// locations and diagnostics on every corpus file.

import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  Scalar,
} from 'yaml';

import {PhaseError} from '../../src/lib/compose/diagnostics.ts';
import {formatPath, Locations} from '../../src/lib/compose/locations.ts';
import {LIMITS, type ParsedDocument, type ParseResult} from '../../src/lib/compose/parse.ts';
import {Override, Reset} from '../../src/lib/compose/tags.ts';
import type {Diagnostic, PathSegment, RawMap} from '../../src/lib/compose/types.ts';

const OCTAL = /^0[0-7]+$/;

class Walker {
  readonly locations = new Locations();
  readonly warnings: Diagnostic[] = [];
  private expanded = 0;
  private readonly active = new Set<Node>();
  private readonly doc: Document.Parsed;
  private readonly file: string;
  private readonly lines: LineCounter;

  constructor(doc: Document.Parsed, file: string, lines: LineCounter) {
    this.doc = doc;
    this.file = file;
    this.lines = lines;
  }

  private fail(message: string, node: Node | null | undefined, hint?: string, path: PathSegment[] = []): never {
    const loc = this.at(node);
    throw new PhaseError([
      {severity: 'error', source: 'yaml', message, ...(path.length ? {path: formatPath(path)} : {}), ...(loc ? {location: loc} : {}), ...(hint ? {hint} : {})},
    ]);
  }

  at(node: Node | null | undefined) {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const {line, col} = this.lines.linePos(offset);
    return {file: this.file, line, column: col};
  }

  value(node: Node | null | undefined, path: PathSegment[], viaAlias: boolean): unknown {
    if (path.length > LIMITS.depth) {
      this.fail(`the document nests deeper than ${LIMITS.depth} levels`, node, 'flatten the structure; compose files never need this depth', path);
    }
    if (node == null) return null;
    if (viaAlias && ++this.expanded > LIMITS.aliasExpansion) {
      this.fail('excessive aliasing: anchors and aliases expand to too many values', node, 'a compose file this size does not need nested aliases; write the values out or use extends');
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) this.fail(`unknown alias *${node.source}`, node, `define the anchor &${node.source} before using it`, path);
      if (this.active.has(target)) {
        this.fail(`cycle detected: alias *${node.source} at ${formatPath(path) || 'the top level'} refers to a node that contains it`, node, 'an anchor cannot be used inside its own value', path);
      }
      return this.value(target, path, true);
    }
    const tag = node.tag;
    if (tag === '!reset') return new Reset();
    if (tag === '!override') {
      // The tag wraps the value, so record positions as if it were untagged.
      const inner = this.untagged(node, path, viaAlias);
      return new Override(inner);
    }
    return this.untagged(node, path, viaAlias);
  }

  private untagged(node: Node, path: PathSegment[], viaAlias: boolean): unknown {
    if (isScalar(node)) return this.scalar(node);
    this.active.add(node);
    try {
      if (isSeq(node)) {
        const out: unknown[] = [];
        node.items.forEach((item, i) => {
          const p = [...path, i];
          const loc = this.at(item as Node);
          if (loc) this.locations.set(p, loc);
          out.push(this.value(item as Node, p, viaAlias));
        });
        return out;
      }
      if (isMap(node)) return this.map(node, path, viaAlias);
    } finally {
      this.active.delete(node);
    }
    this.fail('unsupported YAML node', node, undefined, path);
  }

  private scalar(node: Scalar): unknown {
    // go-yaml (compose's parser) still reads a leading-zero plain int as octal (`mode: 0440`).
    if (node.type === Scalar.PLAIN && typeof node.source === 'string' && OCTAL.test(node.source)) {
      return parseInt(node.source, 8);
    }
    const v = node.value;
    if (typeof v === 'bigint') return Number(v);
    return v;
  }

  private map(node: Extract<Node, {items: unknown[]}> & {items: unknown[]}, path: PathSegment[], viaAlias: boolean): RawMap {
    const out: RawMap = {};
    const merged: RawMap[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      if (isScalar(keyNode) && keyNode.type === Scalar.PLAIN && keyNode.value === '<<') {
        merged.push(...this.mergeSources(pair.value as Node, path, viaAlias));
        continue;
      }
      const key = this.key(keyNode, path);
      const p = [...path, key];
      const loc = this.at(keyNode) ?? this.at(pair.value as Node);
      if (loc) this.locations.set(p, loc);
      out[key] = this.value(pair.value as Node, p, viaAlias);
    }
    if (merged.length === 0) return out;
    // YAML merge keys: explicit keys win, then earlier merge sources win over later ones.
    const result: RawMap = {};
    for (const src of [...merged].reverse()) Object.assign(result, src);
    return Object.assign(result, out);
  }

  private mergeSources(node: Node | null, path: PathSegment[], viaAlias: boolean): RawMap[] {
    const v = this.value(node, path, viaAlias);
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      if (item === null || typeof item !== 'object' || Array.isArray(item) || item instanceof Reset || item instanceof Override) {
        this.fail('map merge requires map: `<<` must refer to a mapping or a sequence of mappings', node, 'point the merge key at an anchor on a mapping (`&name` on a `key: value` block)', path);
      }
    }
    return list as RawMap[];
  }

  private key(node: Node | null, path: PathSegment[]): string {
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string') {
        if (v === '__proto__') this.fail('the key "__proto__" is not allowed', node, undefined, path);
        return v;
      }
      const where = path.length === 0 ? 'at top level' : `in ${formatPath(path)}`;
      this.fail(`non-string key ${where}: ${node.source ?? String(v)}`, node, `quote the key: '${node.source ?? String(v)}'`, path);
    }
    this.fail('mapping keys must be plain strings', node, undefined, path);
  }
}

/**
 * Parses one compose file, which may hold several YAML documents (later ones merge over
 * earlier ones, done by the caller). Never throws for bad YAML: problems come back as diagnostics.
 */
export function referenceParseYaml(text: string, file: string): ParseResult {
  if (Buffer.byteLength(text) > LIMITS.fileSize) {
    return fatal(`file is larger than ${LIMITS.fileSize / 1024 / 1024} MiB`, file, 'compose files are small; check that this is the file you meant');
  }
  const lines = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {lineCounter: lines, uniqueKeys: true, merge: false, prettyErrors: false, strict: true}) as Document.Parsed[];
  } catch (err) {
    return fatal(`YAML could not be parsed: ${(err as Error).message}`, file);
  }
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) diagnostics.push(yamlError(e, file, lines, text));
    for (const w of doc.warnings) {
      if (/Unresolved tag: !(reset|override)\b/.test(w.message)) continue;
      diagnostics.push({...yamlError(w, file, lines, text), severity: 'warning'});
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return {documents, diagnostics};
  for (const doc of docs) {
    if (doc.contents === null) continue; // an empty document (comments only)
    const walker = new Walker(doc, file, lines);
    try {
      const value = walker.value(doc.contents, [], false);
      if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Reset || value instanceof Override) {
        diagnostics.push({severity: 'error', source: 'yaml', message: 'top-level object must be a mapping', location: walker.at(doc.contents), hint: 'a compose file is a mapping with keys such as `services:`'});
        continue;
      }
      documents.push({value: value as RawMap, locations: walker.locations});
    } catch (err) {
      if (err instanceof PhaseError) diagnostics.push(...err.diagnostics);
      else if (err instanceof RangeError) diagnostics.push(...fatal('the document nests too deeply to be read', file).diagnostics);
      else throw err;
    }
  }
  return {documents, diagnostics};
}

function fatal(message: string, file: string, hint?: string): ParseResult {
  return {documents: [], diagnostics: [{severity: 'error', source: 'yaml', message, location: {file, line: 1, column: 1}, ...(hint ? {hint} : {})}]};
}

const YAML_HINTS: Record<string, string> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  DUPLICATE_KEY: 'remove one of the two entries, or merge their contents',
  BAD_INDENT: 'align the key with its siblings',
  MISSING_CHAR: 'check for an unclosed quote or bracket',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation and for a missing `:` on the line before',
};

function yamlError(e: {message: string; code: string; pos: [number, number]}, file: string, lines: LineCounter, source: string): Diagnostic {
  const {line, col} = lines.linePos(e.pos[0]);
  // The yaml package appends " at line N, column M:" and a source excerpt; we give the position ourselves.
  let message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  if (e.code === 'TAB_AS_INDENT') message = 'found a tab character that violates indentation';
  if (e.code === 'DUPLICATE_KEY') {
    const key = source.slice(e.pos[0]).split(/[:\n]/)[0].trim();
    message = `mapping key "${key}" is defined twice in the same mapping`;
  }
  const hint = YAML_HINTS[e.code];
  return {severity: 'error', source: 'yaml', message, location: {file, line, column: col}, ...(hint ? {hint} : {})};
}
