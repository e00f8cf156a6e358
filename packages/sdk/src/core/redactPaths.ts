/**
 * The compiled path rules of a redactor: a trie of dotted paths (`*` matching one segment) under the
 * entry and under diff field paths, and the positions a value's path reaches in it.
 */
import { ActivityError } from '../errors.js';
import { KEY_CACHE_LIMIT, type RedactionOptions } from './redactMatch.js';

/** A node of the compiled path trie; `star` is the `*` child. */
export interface PathNode {
  children: Map<string, PathNode>;
  star: PathNode | undefined;
  terminal: boolean;
}

export const NO_NODES: readonly PathNode[] = Object.freeze([]);

function newNode(): PathNode {
  return { children: new Map(), star: undefined, terminal: false };
}

function addPath(root: PathNode, path: string): void {
  if (path.trim() === '') {
    throw new ActivityError('CONFIG', 'redaction paths must be non-empty dotted paths', { field: 'paths' });
  }
  let node = root;
  for (const segment of path.split('.')) {
    if (segment === '*') {
      node.star ??= newNode();
      node = node.star;
    } else {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newNode();
        node.children.set(segment, child);
      }
      node = child;
    }
  }
  node.terminal = true;
}

/** The trie positions one key further down from `nodes`. */
export function advance(nodes: readonly PathNode[], key: string): readonly PathNode[] {
  if (nodes.length === 0) return NO_NODES;
  const next: PathNode[] = [];
  for (const node of nodes) {
    const child = node.children.get(key);
    if (child !== undefined) next.push(child);
    if (node.star !== undefined) next.push(node.star);
  }
  return next.length === 0 ? NO_NODES : next;
}

/** True when one of the positions ends a configured path: the value there is hidden. */
export function isTerminal(nodes: readonly PathNode[]): boolean {
  for (const node of nodes) if (node.terminal) return true;
  return false;
}

/** The path trie of a redactor's `paths` and `fields`. Throws ActivityError `CONFIG` for an empty path. */
export class PathRules {
  readonly entryRoot = newNode();
  readonly fieldRoot = newNode();
  // Start positions repeat (`metadata`, `webhook.request.headers` …): computed once per path.
  readonly #startCache = new Map<string, readonly PathNode[]>();

  constructor(options: RedactionOptions) {
    for (const path of options.paths ?? []) {
      if (path.startsWith('changes.')) addPath(this.fieldRoot, path.slice('changes.'.length));
      else addPath(this.entryRoot, path);
    }
    for (const path of options.fields ?? []) addPath(this.fieldRoot, path);
  }

  /** The positions of a value at `path` under the entry. */
  start(path: string | undefined): readonly PathNode[] {
    const root = this.entryRoot;
    let nodes: readonly PathNode[] = [root];
    if (path === undefined || path === '') return nodes;
    const cached = this.#startCache.get(path);
    if (cached !== undefined) return cached;
    for (const segment of path.split('.')) nodes = advance(nodes, segment);
    if (this.#startCache.size >= KEY_CACHE_LIMIT) this.#startCache.clear();
    this.#startCache.set(path, nodes);
    return nodes;
  }

  /** The trie positions of a diff's field path, or undefined when the change is hidden. */
  change(path: string, isSecretKey: (key: string) => boolean): readonly PathNode[] | undefined {
    let nodes: readonly PathNode[] = [this.fieldRoot];
    for (const segment of path.split('.')) {
      nodes = advance(nodes, segment);
      if (isSecretKey(segment) || isTerminal(nodes)) return undefined;
    }
    return nodes;
  }
}
