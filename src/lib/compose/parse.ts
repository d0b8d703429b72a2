// Phase 1: YAML text → plain values, recording the source position of every key and item.
//
// js-yaml reads the text: it is several times faster than the `yaml` package, and parsing was the
// largest cost of `spin validate`. js-yaml gives no positions, but its `listener` reports where
// every node opens and closes; from those events the Reader below builds a small node tree with
// offsets. Scalars resolve here by the YAML 1.2 core schema exactly as the `yaml` package does
// (js-yaml gets a schema that resolves nothing), and the Walker then turns the tree into plain
// values: compose's merge tags (`!reset`, `!override`), go-yaml's octal ints (`0440`), merge keys,
// and our guards against alias bombs, anchor cycles and deep nesting. When js-yaml rejects a
// file, the `yaml` package reads it again, only to report the error in its more precise words.

import {createRequire} from 'node:module';

import {type EventType, loadAll, Schema, type State, Type, YAMLException} from 'js-yaml';
import type {Document} from 'yaml';

import {PhaseError} from './diagnostics.ts';
import {formatPath, Locations} from './locations.ts';
import {Override, Reset} from './tags.ts';
import type {Diagnostic, PathSegment, RawMap, SourceLocation} from './types.ts';

export const LIMITS = {
  /** Bytes in one compose file. Real files are kilobytes; this stops accidents, not attackers. */
  fileSize: 4 * 1024 * 1024,
  /** Mapping/sequence nesting depth. */
  depth: 128,
  /** Values produced by expanding aliases, summed over a document (the "billion laughs" guard). */
  aliasExpansion: 100_000,
} as const;

export interface ParsedDocument {
  value: RawMap;
  locations: Locations;
}

export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

// ---- the node tree -------------------------------------------------------------------------

interface ScalarNode {
  kind: 'scalar';
  offset: number;
  tag: string | null;
  /** Resolved by the core schema (or the explicit tag). */
  value: unknown;
  /** The text of the scalar before resolution. */
  source: string;
  plain: boolean;
}

interface SeqNode {
  kind: 'seq';
  offset: number;
  tag: string | null;
  items: YamlNode[];
}

interface Pair {
  key: YamlNode;
  value: YamlNode | null;
}

interface MapNode {
  kind: 'map';
  offset: number;
  tag: string | null;
  pairs: Pair[];
}

interface AliasNode {
  kind: 'alias';
  offset: number;
  tag: null;
  name: string;
  target: Frame | undefined;
}

type YamlNode = ScalarNode | SeqNode | MapNode | AliasNode;

/** One call of js-yaml's composeNode, between its `open` and `close` events. */
interface Frame {
  open: number;
  end: number;
  children: Closed[];
  /** A child has opened: the props js-yaml read for this frame were visible then. */
  opened: boolean;
  /** The anchor was recorded when the first child opened (YAML anchors count from where they are written). */
  anchored: boolean;
  /** js-yaml read content or props (otherwise this was an attempt that found nothing). */
  content: boolean;
  kind: string | null;
  result: unknown;
  /** Set when the frame closes. */
  node: YamlNode | null;
}

type Closed = Frame & {node: YamlNode};

/** js-yaml's parser state as the listener sees it; the published types omit these two. */
interface ListenerState extends State {
  tag: string | null;
  anchor: string | null;
}

// js-yaml must resolve nothing: every tag is accepted as is and every scalar stays a string, so
// that resolution below follows the `yaml` package's rules, not js-yaml's (`1_000`, `0440`).
const anyTag = (kind: 'scalar' | 'sequence' | 'mapping') => new Type('', {kind, multi: true});
const SCHEMA = new Schema({explicit: [anyTag('scalar'), anyTag('sequence'), anyTag('mapping')]});

const CORE_TAG = 'tag:yaml.org,2002:';
const STR = `${CORE_TAG}str`;

interface CoreRule {
  tag: string;
  test: RegExp;
  resolve: (s: string) => unknown;
}

// The `yaml` package's core schema, in its order.
const CORE: CoreRule[] = [
  {tag: `${CORE_TAG}null`, test: /^(?:~|[Nn]ull|NULL)?$/, resolve: () => null},
  {tag: `${CORE_TAG}bool`, test: /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, resolve: (s) => s[0] === 't' || s[0] === 'T'},
  {tag: `${CORE_TAG}int`, test: /^0o[0-7]+$/, resolve: (s) => parseInt(s.substring(2), 8)},
  {tag: `${CORE_TAG}int`, test: /^[-+]?[0-9]+$/, resolve: (s) => parseInt(s, 10)},
  {tag: `${CORE_TAG}int`, test: /^0x[0-9a-fA-F]+$/, resolve: (s) => parseInt(s.substring(2), 16)},
  {
    tag: `${CORE_TAG}float`,
    test: /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
    resolve: (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY),
  },
  {tag: `${CORE_TAG}float`, test: /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, resolve: parseFloat},
  {tag: `${CORE_TAG}float`, test: /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, resolve: parseFloat},
];

/** Plain scalars starting otherwise are strings; most are, and this skips the rules for them. */
const CORE_FIRST = /^[~nNtTfF0-9+\-.]/;

function coreValue(s: string): unknown {
  if (s !== '' && !CORE_FIRST.test(s)) return s;
  for (const rule of CORE) if (rule.test.test(s)) return rule.resolve(s);
  return s;
}

/** Compose's own tags; the `yaml` package warned about them as unknown and we dropped that. */
const COMPOSE_TAGS = new Set(['!reset', '!override']);

const OCTAL = /^0[0-7]+$/;

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const BANG = 0x21;
const AMPERSAND = 0x26;
const STAR = 0x2a;
const COLON = 0x3a;
const QUESTION = 0x3f;
const COMMA = 0x2c;
const LT = 0x3c;
const GT = 0x3e;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR || Number.isNaN(c);
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}

interface Problem {
  offset: number;
  message: string;
}

/** Builds the node tree from js-yaml's open/close events. */
class Reader {
  readonly roots: Closed[] = [];
  readonly warnings: Problem[] = [];
  /** Offsets of keys that repeat an earlier key of their mapping. */
  readonly duplicates: number[] = [];
  /** Offsets of `-` that js-yaml wrongly read as items of a more indented sequence. */
  readonly misread: number[] = [];
  /** Seen something js-yaml accepts and the `yaml` package (strict) may not: ask it. */
  doubtful = false;
  private readonly text: string;
  private readonly stack: Frame[] = [];
  private anchors = new Map<string, Frame>();

  constructor(text: string) {
    this.text = text;
  }

  readonly listener = (event: EventType, state: State): void => {
    const s = state as ListenerState;
    const parent = this.stack.length > 0 ? this.stack[this.stack.length - 1] : undefined;
    if (event === 'open') {
      if (parent === undefined) {
        this.anchors = new Map(); // a new document
      } else if (!parent.opened) {
        parent.opened = true;
        // Still the parent's props: an alias inside the parent's own value must find it.
        if (s.anchor !== null) {
          this.anchors.set(s.anchor, parent);
          parent.anchored = true;
        }
      }
      this.stack.push({open: s.position, end: s.position, children: [], opened: false, anchored: false, content: false, kind: null, result: null, node: null});
      return;
    }
    const frame = this.stack.pop() as Frame;
    frame.end = s.position;
    // A comment glued to the token before it (`"a"#b`).
    if (this.text.charCodeAt(frame.end) === HASH && !isBlank(this.text.charCodeAt(frame.end - 1))) this.doubtful = true;
    frame.kind = s.kind;
    frame.result = s.result;
    frame.node = this.node(frame as Closed, s);
    if (s.anchor !== null && !frame.anchored) this.anchors.set(s.anchor, frame);
    const owner = this.stack.length > 0 ? this.stack[this.stack.length - 1] : undefined;
    if (owner) owner.children.push(frame as Closed);
    else this.roots.push(frame as Closed);
  };

  private node(frame: Closed, s: ListenerState): YamlNode {
    // '?' is js-yaml's mark for an untagged plain scalar.
    const tag = s.tag === '?' ? null : s.tag;
    const text = this.text;
    let p = this.skipSeparation(frame.open);
    let tagAt = -1;
    let propsEnd = -1;
    let needTag = tag !== null;
    let needAnchor = s.anchor !== null;
    while (needTag || needAnchor) {
      const c = text.charCodeAt(p);
      if (needTag && c === BANG) {
        tagAt = p;
        needTag = false;
        if (text.charCodeAt(p + 1) === LT) while (p < text.length && text.charCodeAt(p) !== GT) p++;
        while (p < text.length && !isBlank(text.charCodeAt(p))) p++;
      } else if (needAnchor && c === AMPERSAND) {
        needAnchor = false;
        p++;
        while (p < text.length && !isBlank(text.charCodeAt(p)) && !isFlowIndicator(text.charCodeAt(p))) p++;
      } else {
        break;
      }
      propsEnd = p;
      p = this.skipSeparation(p);
    }
    frame.content = s.kind !== null || tag !== null || s.anchor !== null;
    switch (s.kind) {
      case 'scalar':
        return this.scalar(p, tag, tagAt, s.result as string, !'"\'|>'.includes(text[p]));
      case 'sequence':
      case 'mapping':
        return this.collection(frame, p, tag, tagAt, s.kind);
      default:
        if (text.charCodeAt(p) === STAR && frame.end > p) {
          frame.content = true;
          let e = p + 1;
          while (e < text.length && !isBlank(text.charCodeAt(e)) && !isFlowIndicator(text.charCodeAt(e))) e++;
          const name = text.slice(p + 1, e);
          return {kind: 'alias', offset: p, tag: null, name, target: this.anchors.get(name)};
        }
        return this.scalar(this.skipSpaces(propsEnd >= 0 ? propsEnd : frame.open), tag, tagAt, '', true);
    }
  }

  private scalar(offset: number, tag: string | null, tagAt: number, source: string, plain: boolean): ScalarNode {
    let value: unknown;
    if (tag === null) value = plain ? coreValue(source) : source;
    else if (tag === '!' || tag === STR) value = source;
    else {
      const rule = CORE.find((r) => r.tag === tag && r.test.test(source));
      if (rule) value = rule.resolve(source);
      else {
        this.unresolved(tag, tagAt);
        value = source;
      }
    }
    return {kind: 'scalar', offset, tag, value, source, plain};
  }

  private unresolved(tag: string, at: number): void {
    if (tag === CORE_TAG) this.doubtful = true; // `!!` without a suffix
    if (!COMPOSE_TAGS.has(tag)) this.warnings.push({offset: at, message: `Unresolved tag: ${tag}`});
  }

  private collection(frame: Closed, offset: number, tag: string | null, tagAt: number, kind: 'sequence' | 'mapping'): YamlNode {
    const wanted = kind === 'mapping' ? `${CORE_TAG}map` : `${CORE_TAG}seq`;
    if (tag !== null && tag !== '!' && tag !== wanted) this.unresolved(tag, tagAt);
    const {children} = frame;
    // js-yaml reads a flow collection (or a scalar) at the start of a block value as a would-be
    // mapping key that then turned out not to be one: that inner frame holds the entries.
    if (children.length === 1 && children[0].result === frame.result && children[0].kind === kind) {
      return {...children[0].node, tag} as YamlNode;
    }
    // A block collection's first child opens where the collection starts; a flow one's after its bracket.
    const flow = '[{'.includes(this.text[offset]) && (children.length === 0 || children[0].open > offset);
    if (kind === 'sequence') {
      const items = flow ? this.flowEntries(offset, children, false) : this.blockItems(offset, children, (frame.result as unknown[]).length);
      return {kind: 'seq', offset, tag, items: items as YamlNode[]};
    }
    const pairs = flow ? (this.flowEntries(offset, children, true) as Pair[]) : this.blockPairs(children);
    this.checkUnique(pairs);
    return {kind: 'map', offset, tag, pairs};
  }

  /** Block sequence items: a child per item, except items left empty at the end of their line. */
  private blockItems(start: number, children: Closed[], count: number): YamlNode[] {
    if (children.length === count) return children.map((f) => f.node);
    const text = this.text;
    const indent = start - (text.lastIndexOf('\n', start - 1) + 1);
    const items: YamlNode[] = [];
    let next = 0;
    let p = start; // at a '-'
    while (items.length < count) {
      const after = this.skipSeparation(p + 1);
      const lineStart = text.lastIndexOf('\n', after - 1) + 1;
      const newLine = lineStart > p;
      if (newLine && after - lineStart <= indent) {
        items.push(this.scalar(this.skipSpaces(p + 1), null, -1, '', true));
        p = after;
        // js-yaml takes the next `-` as this sequence's even when it belongs to an outer one.
        if (items.length < count && after - lineStart !== indent) this.misread.push(after);
      } else {
        const child = children[next++];
        items.push(child.node);
        p = this.skipSeparation(child.end);
      }
    }
    return items;
  }

  /** Block mapping pairs: a key child, then its value child, which opens right after the `:`. */
  private blockPairs(children: Closed[]): Pair[] {
    const text = this.text;
    const pairs: Pair[] = [];
    for (let i = 0; i < children.length; ) {
      const key = children[i++];
      const explicit = text.charCodeAt(key.open - 1) === QUESTION;
      if (!explicit && !key.content) break; // js-yaml's last look for another key, which found none
      let value: YamlNode | null = null;
      if (i < children.length && text.charCodeAt(children[i].open - 1) === COLON) {
        // The `yaml` package refuses implicit keys longer than 1024 characters.
        if (!explicit && children[i].open - key.node.offset > 1024) this.doubtful = true;
        value = children[i++].node;
      }
      pairs.push({key: key.node, value});
    }
    return pairs;
  }

  /** Flow collection entries; in a sequence, `a: b` is a one-pair mapping. */
  private flowEntries(start: number, children: Closed[], mapping: boolean): Array<Pair | YamlNode> {
    const text = this.text;
    const out: Array<Pair | YamlNode> = [];
    let p = start + 1;
    for (let i = 0; i < children.length; ) {
      p = this.skipSeparation(p);
      const explicit = text.charCodeAt(p) === QUESTION && isBlank(text.charCodeAt(p + 1));
      const key = children[i++];
      p = this.skipSeparation(key.end);
      let value: YamlNode | null = null;
      const pair = mapping || explicit || (text.charCodeAt(p) === COLON && i < children.length);
      if (text.charCodeAt(p) === COLON && i < children.length) {
        const v = children[i++];
        value = v.node;
        p = this.skipSeparation(v.end);
      }
      if (text.charCodeAt(p) === COMMA) p++;
      if (mapping) out.push({key: key.node, value});
      else if (pair) out.push({kind: 'map', offset: key.node.offset, tag: null, pairs: [{key: key.node, value}]});
      else out.push(key.node);
    }
    return out;
  }

  /** The `yaml` package's `uniqueKeys`: scalar keys with equal values. */
  private checkUnique(pairs: Pair[]): void {
    if (pairs.length < 2) return;
    const seen = new Set<unknown>();
    for (const {key} of pairs) {
      if (key.kind !== 'scalar' || Number.isNaN(key.value)) continue;
      if (seen.has(key.value)) this.duplicates.push(key.offset);
      else seen.add(key.value);
    }
  }

  /** Spaces, tabs, line breaks and comments, as js-yaml skips between tokens. */
  skipSeparation(p: number): number {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === SPACE || c === TAB || c === LF || c === CR) p++;
      else if (c === HASH) {
        while (p < text.length && text.charCodeAt(p) !== LF && text.charCodeAt(p) !== CR) p++;
      } else return p;
    }
  }

  private skipSpaces(p: number): number {
    while (this.text.charCodeAt(p) === SPACE || this.text.charCodeAt(p) === TAB) p++;
    return p;
  }

  /**
   * Where the `yaml` package put an empty document: after its `---` marker; a document without
   * a marker and without content is no document at all.
   */
  emptyDocumentAt(from: number): number | undefined {
    const text = this.text;
    let p = this.skipSeparation(from);
    if (text.startsWith('...', p)) p = this.skipSeparation(p + 3);
    while (text.charCodeAt(p) === 0x25 /* % */) {
      while (p < text.length && text.charCodeAt(p) !== LF) p++;
      p = this.skipSeparation(p);
    }
    if (text.startsWith('---', p) && isBlank(text.charCodeAt(p + 3))) return this.skipSpaces(p + 3);
    return undefined;
  }
}

// ---- the walk ------------------------------------------------------------------------------

class Walker {
  readonly locations = new Locations();
  /** The path of the value being read; one array, pushed and popped, as the walk is hot. */
  private readonly path: PathSegment[] = [];
  private expanded = 0;
  private readonly active = new Set<YamlNode>();
  private readonly position: (offset: number) => SourceLocation;

  constructor(position: (offset: number) => SourceLocation) {
    this.position = position;
  }

  private fail(message: string, node: YamlNode | null, hint?: string, path: PathSegment[] = []): never {
    const loc = this.at(node);
    throw new PhaseError([
      {severity: 'error', source: 'yaml', message, ...(path.length ? {path: formatPath(path)} : {}), ...(loc ? {location: loc} : {}), ...(hint ? {hint} : {})},
    ]);
  }

  at(node: YamlNode | null): SourceLocation | undefined {
    return node ? this.position(node.offset) : undefined;
  }

  value(node: YamlNode | null, viaAlias: boolean): unknown {
    const path = this.path;
    if (path.length > LIMITS.depth) {
      this.fail(`the document nests deeper than ${LIMITS.depth} levels`, node, 'flatten the structure; compose files never need this depth', path);
    }
    if (node === null) return null;
    if (viaAlias && ++this.expanded > LIMITS.aliasExpansion) {
      this.fail('excessive aliasing: anchors and aliases expand to too many values', node, 'a compose file this size does not need nested aliases; write the values out or use extends');
    }
    if (node.kind === 'alias') {
      const target = node.target?.node;
      if (!target) this.fail(`unknown alias *${node.name}`, node, `define the anchor &${node.name} before using it`, path);
      if (this.active.has(target)) {
        this.fail(`cycle detected: alias *${node.name} at ${formatPath(path) || 'the top level'} refers to a node that contains it`, node, 'an anchor cannot be used inside its own value', path);
      }
      return this.value(target, true);
    }
    if (node.tag === '!reset') return new Reset();
    // The tag wraps the value, so positions are recorded as if it were untagged.
    if (node.tag === '!override') return new Override(this.untagged(node, viaAlias));
    return this.untagged(node, viaAlias);
  }

  private untagged(node: ScalarNode | SeqNode | MapNode, viaAlias: boolean): unknown {
    // go-yaml (compose's parser) still reads a leading-zero plain int as octal (`mode: 0440`).
    if (node.kind === 'scalar') return node.plain && OCTAL.test(node.source) ? parseInt(node.source, 8) : node.value;
    this.active.add(node);
    try {
      return node.kind === 'seq' ? this.seq(node, viaAlias) : this.map(node, viaAlias);
    } finally {
      this.active.delete(node);
    }
  }

  private seq(node: SeqNode, viaAlias: boolean): unknown[] {
    const path = this.path;
    const out: unknown[] = [];
    for (let i = 0; i < node.items.length; i++) {
      const item = node.items[i];
      path.push(i);
      this.locations.set(path, this.position(item.offset));
      out.push(this.value(item, viaAlias));
      path.pop();
    }
    return out;
  }

  private map(node: MapNode, viaAlias: boolean): RawMap {
    const path = this.path;
    const out: RawMap = {};
    let merged: RawMap[] | undefined;
    for (const {key: keyNode, value} of node.pairs) {
      if (keyNode.kind === 'scalar' && keyNode.plain && keyNode.value === '<<') {
        (merged ??= []).push(...this.mergeSources(value, viaAlias));
        continue;
      }
      const key = this.key(keyNode);
      path.push(key);
      this.locations.set(path, this.position(keyNode.offset));
      out[key] = this.value(value, viaAlias);
      path.pop();
    }
    if (merged === undefined) return out;
    // YAML merge keys: explicit keys win, then earlier merge sources win over later ones.
    const result: RawMap = {};
    for (const src of merged.reverse()) Object.assign(result, src);
    return Object.assign(result, out);
  }

  private mergeSources(node: YamlNode | null, viaAlias: boolean): RawMap[] {
    const v = this.value(node, viaAlias);
    const list = Array.isArray(v) ? v : [v];
    for (const item of list) {
      if (item === null || typeof item !== 'object' || Array.isArray(item) || item instanceof Reset || item instanceof Override) {
        this.fail('map merge requires map: `<<` must refer to a mapping or a sequence of mappings', node, 'point the merge key at an anchor on a mapping (`&name` on a `key: value` block)', this.path);
      }
    }
    return list as RawMap[];
  }

  private key(node: YamlNode): string {
    const path = this.path;
    if (node.kind === 'scalar') {
      const v = node.value;
      if (typeof v === 'string') {
        if (v === '__proto__') this.fail('the key "__proto__" is not allowed', node, undefined, path);
        return v;
      }
      const where = path.length === 0 ? 'at top level' : `in ${formatPath(path)}`;
      this.fail(`non-string key ${where}: ${node.source}`, node, `quote the key: '${node.source}'`, path);
    }
    this.fail('mapping keys must be plain strings', node, undefined, path);
  }
}

// ---- the phase -----------------------------------------------------------------------------

/** Offset → 1-based line and column, by binary search over the line starts. */
function positions(text: string, file: string): (offset: number) => SourceLocation {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  let line = 0; // the walk mostly moves forward, a line or two at a time
  return (offset) => {
    if (starts[line] <= offset && (line + 1 === starts.length || offset < starts[line + 1])) return {file, line: line + 1, column: offset - starts[line] + 1};
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    line = lo;
    return {file, line: lo + 1, column: offset - starts[lo] + 1};
  };
}

/**
 * Parses one compose file, which may hold several YAML documents (later ones merge over
 * earlier ones, done by the caller). Never throws for bad YAML: problems come back as diagnostics.
 */
export function parseYaml(text: string, file: string): ParseResult {
  if (Buffer.byteLength(text) > LIMITS.fileSize) {
    return fatal(`file is larger than ${LIMITS.fileSize / 1024 / 1024} MiB`, file, 'compose files are small; check that this is the file you meant');
  }
  // js-yaml drops a byte order mark; offsets here count it, as editors and the `yaml` package do.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const reader = new Reader(bom ? text.slice(1) : text);
  let warned = false;
  const onWarning = () => {
    warned = true;
  };
  try {
    // `json` turns off js-yaml's duplicate key check: the Reader applies the `yaml` package's.
    loadAll(text, null, {schema: SCHEMA, json: true, listener: reader.listener, onWarning});
  } catch (err) {
    const diagnostics = yamlDiagnostics(text, file);
    if (diagnostics.some((d) => d.severity === 'error')) return {documents: [], diagnostics};
    if (!(err instanceof YAMLException)) return fatal(`YAML could not be parsed: ${(err as Error).message}`, file);
    return {documents: [], diagnostics: [...diagnostics, jsYamlError(err, text, file, bom)]};
  }
  const diagnostics: Diagnostic[] = [];
  if (warned || reader.doubtful) {
    // Where js-yaml warns (indentation inside flow collections, directives) or the Reader saw
    // something odd, the `yaml` package may be stricter: its errors, and its warnings on what
    // the Reader does not check, are the ones to report.
    const strict = yamlDiagnostics(text, file);
    if (strict.some((d) => d.severity === 'error')) return {documents: [], diagnostics: strict};
    diagnostics.push(...strict.filter((d) => !d.message.startsWith('Unresolved tag:')));
  }
  const position = positions(text, file);
  const at = (offset: number) => position(offset + bom);
  for (const offset of reader.duplicates.sort((a, b) => a - b)) {
    diagnostics.push({severity: 'error', source: 'yaml', message: duplicateKeyMessage(text, offset + bom), location: at(offset), hint: YAML_HINTS.DUPLICATE_KEY});
  }
  for (const offset of reader.misread) {
    diagnostics.push({
      severity: 'error',
      source: 'yaml',
      message: 'an empty item ends the nested sequence before this line, a layout Spin cannot read',
      location: at(offset),
      hint: 'write `null` for the empty item, or remove its `-`',
    });
  }
  for (const w of reader.warnings) diagnostics.push({severity: 'warning', source: 'yaml', message: w.message, location: at(w.offset)});
  if (reader.duplicates.length > 0 || reader.misread.length > 0) return {documents: [], diagnostics};
  const documents: ParsedDocument[] = [];
  let previousEnd = 0;
  for (const root of reader.roots) {
    let contents: YamlNode | undefined = root.node;
    if (!root.content) {
      const offset = reader.emptyDocumentAt(previousEnd);
      contents = offset === undefined ? undefined : {kind: 'scalar', offset, tag: null, value: null, source: '', plain: true};
    }
    previousEnd = root.end;
    if (contents === undefined) continue; // an empty document (comments only)
    const walker = new Walker(at);
    try {
      const value = walker.value(contents, false);
      if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Reset || value instanceof Override) {
        diagnostics.push({severity: 'error', source: 'yaml', message: 'top-level object must be a mapping', location: walker.at(contents), hint: 'a compose file is a mapping with keys such as `services:`'});
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

/** An error only js-yaml finds; the `yaml` package leaves an unknown alias to the walk. */
function jsYamlError(err: YAMLException, text: string, file: string, bom: number): Diagnostic {
  const mark = (err as YAMLException & {mark?: {position: number}}).mark;
  let offset = mark?.position ?? 0;
  let message = err.reason;
  let hint: string | undefined;
  const alias = /^unidentified alias "(.*)"$/.exec(err.reason);
  if (alias) {
    offset -= alias[1].length + 1; // js-yaml points after the name
    message = `unknown alias *${alias[1]}`;
    hint = `define the anchor &${alias[1]} before using it`;
  }
  return {severity: 'error', source: 'yaml', message, location: positions(text, file)(offset + bom), ...(hint ? {hint} : {})};
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

function duplicateKeyMessage(source: string, offset: number): string {
  const key = source.slice(offset).split(/[:\n]/)[0].trim();
  return `mapping key "${key}" is defined twice in the same mapping`;
}

/**
 * The `yaml` package's errors and warnings for text js-yaml could not read: its messages and
 * positions are the more precise. Loaded only then, which keeps it off the common path.
 */
function yamlDiagnostics(text: string, file: string): Diagnostic[] {
  const {LineCounter, parseAllDocuments} = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lines = new LineCounter();
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {lineCounter: lines, uniqueKeys: true, merge: false, prettyErrors: false, strict: true}) as Document.Parsed[];
  } catch (err) {
    return fatal(`YAML could not be parsed: ${(err as Error).message}`, file).diagnostics;
  }
  const diagnostics: Diagnostic[] = [];
  for (const doc of docs) {
    for (const e of doc.errors) diagnostics.push(yamlError(e, file, lines, text));
    for (const w of doc.warnings) {
      if (/Unresolved tag: !(reset|override)\b/.test(w.message)) continue;
      diagnostics.push({...yamlError(w, file, lines, text), severity: 'warning'});
    }
  }
  return diagnostics;
}

function yamlError(e: {message: string; code: string; pos: [number, number]}, file: string, lines: {linePos(offset: number): {line: number; col: number}}, source: string): Diagnostic {
  const {line, col} = lines.linePos(e.pos[0]);
  // The yaml package appends " at line N, column M:" and a source excerpt; we give the position ourselves.
  let message = e.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  if (e.code === 'TAB_AS_INDENT') message = 'found a tab character that violates indentation';
  if (e.code === 'DUPLICATE_KEY') message = duplicateKeyMessage(source, e.pos[0]);
  const hint = YAML_HINTS[e.code];
  return {severity: 'error', source: 'yaml', message, location: {file, line, column: col}, ...(hint ? {hint} : {})};
}
