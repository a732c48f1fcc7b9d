/**
 * Entities kept as pieces. A movie's card — `{ id title year avgRating }` — appears in the
 * answers of Movie, Movies, PopularMovies and every user's Recommendations, and a rating
 * changes it in all of them at once. Kept whole, each of those answers would have to run
 * again; kept as a skeleton (the answer's text around its cards) and one piece per card, a
 * rating costs one piece, rebuilt by whichever answer runs first, and every other answer is
 * put together again from its current skeleton and pieces (responseTier.ts).
 *
 * A piece is an object of a piece type (PIECE_TYPES) whose selection is only leaf fields
 * without arguments, including its `id`. Its bytes depend on the selection (its signature)
 * and the entity's row, nothing else: the resolvers that return such an object read it by
 * reference (tieredLoader.ts, ReadFor), and its leaf fields are projections of that row
 * (test/unit/pieceTypes checks that they read nothing). So a piece records its row's tag
 * versions alone, and the skeleton every other version the answer was built from
 * (responses.ts, ResponseTrace.outside).
 *
 * Where a directive stands (@skip or @include, whose selections vary with the variables), no
 * pieces are taken below it: such answers are kept whole.
 */
import { randomBytes } from 'node:crypto';
import {
  Kind,
  getNamedType,
  isAbstractType,
  isLeafType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { SchemaCachePolicy } from '../cache/policy.js';
import type { ResponseTrace } from '../cache/responses.js';
import { OperationPlans, fragmentsOf } from './operationPlans.js';

/**
 * The types whose objects may be pieces: those whose resolvers read them by reference
 * (Query.movie, Recommendation.movie, Match.candidate, Job.company…). User is not one: its
 * `email` reads the caller's own row.
 */
export const PIECE_TYPES: ReadonlySet<string> = new Set(['Movie', 'Candidate', 'Job', 'Company']);

/** What a piece's bytes are made of, besides its row. */
export interface PieceShape {
  /** The selection as it shapes the JSON, e.g. `Movie{id title rating:avgRating}`. */
  signature: string;
  /** The response key of the object's id. */
  idKey: string;
  /** How long the piece may be kept: its type's maxAge, or less where a field's hint says so. */
  maxAge: number;
}

/** A place in an answer where pieces stand. */
export interface PieceSite extends PieceShape {
  typename: string;
  /** Response keys from the root to the field; lists on the way are walked through. */
  path: readonly string[];
}

/** The key of a piece: its shape and its entity. Never a whole answer's key (those begin with an Accept header). */
export function pieceKey(signature: string, id: string | number): string {
  return `\u0001piece\n${signature}\n${id}`;
}

/** The key of the skeleton of the answer stored under `key`. */
export function skeletonKey(key: string): string {
  return `\u0001skeleton\n${key}`;
}

export class EntityPieces {
  private readonly plans = new OperationPlans((operation, document) => this.sitesOf(operation, document));

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly policy: SchemaCachePolicy,
  ) {}

  /** Where the answers of `query`'s operation (a query or a mutation) hold pieces; undefined when nowhere. */
  sites(query: string, operationName: string | undefined): PieceSite[] | undefined {
    return this.plans.get(query, operationName);
  }

  /**
   * The shape of an object of `type` selected by `sets`, if it may be a piece (a piece type,
   * leaf fields only, `id` among them, no arguments or directives).
   */
  shape(type: GraphQLObjectType, sets: readonly SelectionSetNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): PieceShape | undefined {
    if (!PIECE_TYPES.has(type.name)) return undefined;
    const fields = this.collect(type, sets, fragments);
    if (!fields) return undefined;
    let idKey: string | undefined;
    let maxAge = this.policy.forType(type.name).maxAgeSeconds;
    const keys: string[] = [];
    for (const [key, nodes] of fields) {
      const name = nodes[0].name.value;
      if (name !== '__typename') {
        const field = type.getFields()[name];
        if (!field || !isLeafType(getNamedType(field.type)) || nodes.some((node) => node.selectionSet || node.arguments?.length)) return undefined;
        maxAge = Math.min(maxAge, this.policy.responseHint(`${type.name}.${name}`).maxAge ?? Infinity);
      }
      if (name === 'id') idKey ??= key;
      keys.push(key === name ? key : `${key}:${name}`);
    }
    if (idKey === undefined || maxAge <= 0) return undefined;
    return { signature: `${type.name}{${keys.join(' ')}}`, idKey, maxAge };
  }

  /** The max-age a field gives its answer (Apollo's rules; 0 when it gives none). */
  fieldMaxAge(coordinate: string): number {
    return this.policy.responseHint(coordinate).maxAge ?? 0;
  }

  private sitesOf(operation: OperationDefinitionNode, document: DocumentNode): PieceSite[] | undefined {
    // A mutation's answer is never kept, but what it shows of the entities it changed is read
    // after the change: its pieces are the first current ones, on the instance that wrote.
    const root = operation.operation === 'query' ? this.schema.getQueryType() : operation.operation === 'mutation' ? this.schema.getMutationType() : undefined;
    if (operation.directives?.length || !root) return undefined;
    const sites: PieceSite[] = [];
    this.findSites(root, [operation.selectionSet], fragmentsOf(document), [], sites);
    return sites.length > 0 ? sites : undefined;
  }

  private findSites(
    type: GraphQLObjectType,
    sets: readonly SelectionSetNode[],
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    path: readonly string[],
    sites: PieceSite[],
  ): void {
    for (const [key, nodes] of this.collect(type, sets, fragments) ?? []) {
      const field = type.getFields()[nodes[0].name.value];
      const returned = field && getNamedType(field.type);
      // Below an interface or a union, the selection depends on each object's type: no pieces there.
      if (!returned || !isObjectType(returned)) continue;
      const below = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      const shape = this.shape(returned, below, fragments);
      if (shape) sites.push({ ...shape, typename: returned.name, path: [...path, key] });
      else this.findSites(returned, below, fragments, [...path, key], sites);
    }
  }

  /**
   * The fields `sets` select on `type`, by response key, in the order graphql-js writes them
   * (first appearance); undefined where a directive may change them with the variables, or
   * for an unknown fragment (which validation refuses anyway).
   */
  private collect(type: GraphQLObjectType, sets: readonly SelectionSetNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): Map<string, FieldNode[]> | undefined {
    const fields = new Map<string, FieldNode[]>();
    const seen = new Set<string>();
    const visit = (set: SelectionSetNode): boolean =>
      set.selections.every((selection) => {
        if (selection.directives?.length) return false;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const nodes = fields.get(key);
          if (nodes) nodes.push(selection);
          else fields.set(key, [selection]);
          return true;
        }
        if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const name = selection.name.value;
          if (seen.has(name)) return true;
          seen.add(name);
        }
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment || fragment.directives?.length) return false;
        if (fragment.typeCondition && !this.applies(fragment.typeCondition.name.value, type)) return true;
        return visit(fragment.selectionSet);
      });
    return sets.every(visit) ? fields : undefined;
  }

  private applies(condition: string, type: GraphQLObjectType): boolean {
    if (condition === type.name) return true;
    const named = this.schema.getType(condition);
    return !!named && isAbstractType(named) && this.schema.isSubType(named, type);
  }
}

/** Each hole of a skeleton is written as this string, then the text is cut around them. */
const MARK = `\u0000piece:${randomBytes(8).toString('hex')}:`;
const MARKED = new RegExp(`"${JSON.stringify(MARK).slice(1, -1).replace(/\\/g, '\\\\')}(\\d+)"`);

/** An answer taken apart: its skeleton's text around the pieces, and each piece. */
export interface TakenApart {
  parts: string[];
  pieces: Array<{ key: string; body: string; trace: ResponseTrace; maxAge: number }>;
  /** What the skeleton was built from: the answer's trace less the pieces' own reads. */
  outside: ResponseTrace;
}

/**
 * Takes the answer `body` (Apollo's JSON of `{ data }`) apart at `sites`. An object becomes a
 * piece only if the trace holds its entity's read by reference; undefined when none did.
 */
export function takeApart(body: string, sites: readonly PieceSite[], trace: ResponseTrace): TakenApart | undefined {
  let answer: { data?: unknown };
  try {
    answer = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (answer === null || typeof answer !== 'object' || Object.keys(answer).length !== 1 || !answer.data) return undefined;
  const pieces: TakenApart['pieces'] = [];
  const counts = new Map<string, number>();
  for (const site of sites) {
    objectsAt(answer.data, site.path, 0, (holder, at, object) => {
      const id = object[site.idKey];
      if (typeof id !== 'string' && typeof id !== 'number') return;
      const entity = `${site.typename}:${id}`;
      const own = trace.pieceOf(entity);
      if (!own) return;
      counts.set(entity, (counts.get(entity) ?? 0) + 1);
      pieces.push({ key: pieceKey(site.signature, id), body: JSON.stringify(object), trace: own, maxAge: site.maxAge });
      holder[at] = `${MARK}${pieces.length - 1}`;
    });
  }
  if (pieces.length === 0) return undefined;
  const cut = `${JSON.stringify(answer)}\n`.split(MARKED);
  // split() with a capture: text, index, text, index, …, text; pieces in the order they appear.
  const parts = cut.filter((_, i) => i % 2 === 0);
  const order = cut.filter((_, i) => i % 2 === 1).map(Number);
  return { parts, pieces: order.map((i) => pieces[i]), outside: trace.outside(counts) };
}

type Found = (holder: Record<string | number, unknown>, at: string | number, object: Record<string, unknown>) => void;

/** Calls `found` with each object at `path` below `value`, and where it stands (lists walked through). */
function objectsAt(value: unknown, path: readonly string[], depth: number, found: Found): void {
  if (Array.isArray(value)) {
    for (const item of value) objectsAt(item, path, depth, found);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const holder = value as Record<string, unknown>;
  if (depth + 1 < path.length) objectsAt(holder[path[depth]], path, depth + 1, found);
  else objectsIn(holder, path[depth], found);
}

/** The objects at `holder[at]`: itself, or the items of its lists. */
function objectsIn(holder: Record<string | number, unknown>, at: string | number, found: Found): void {
  const value = holder[at];
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) objectsIn(value as unknown as Record<number, unknown>, i, found);
  else if (value !== null && typeof value === 'object') found(holder, at, value as Record<string, unknown>);
}
