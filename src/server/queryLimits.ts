/**
 * Limits on what one operation may ask for, checked before Apollo validates or executes it:
 * a hostile query is refused after one parse and one walk of its document, at a cost that grows
 * with its size only. Each limit has its error code and says which setting raises it.
 *
 * - tokens (MAX_QUERY_TOKENS): the parser stops past the limit.
 * - depth (MAX_QUERY_DEPTH): fields nested in fields, fragments expanded: `{ movie { id } }` is 2.
 * - aliases, directives (MAX_QUERY_ALIASES, MAX_QUERY_DIRECTIVES): as written in the document.
 * - cost (MAX_QUERY_COST): each field costs 1; a list field multiplies the cost of what it
 *   selects by the items it may return (its `limit`, `n`, `first` or `hours`, given or
 *   defaulted, or the number of its `ids`; 10 when it has none of them), fragments expanded.
 * - introspection (INTROSPECTION): `__schema` and `__type` refused when off.
 *
 * What a document's text implies is computed once and kept by text (an LRU bounded in
 * bytes); only a cost that depends on variables is recomputed per request.
 */
import { LRUCache } from 'lru-cache';
import {
  getNamedType, getNullableType, isCompositeType, isInterfaceType, isListType, isObjectType, Kind, parse, valueFromASTUntyped,
  type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLNamedType,
  type GraphQLSchema, type OperationDefinitionNode, type OperationTypeNode, type SelectionSetNode,
} from 'graphql';
import type { Config } from '../config.js';
import { RequestError } from './requestError.js';

export type QueryLimitSettings = Pick<Config['limits'], 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost' | 'introspection'>;

/** Arguments that bound how many items a list field returns. */
const SIZE_ARGUMENTS = ['limit', 'n', 'first', 'hours'];
/** Items assumed of a list field without a size argument. */
const DEFAULT_LIST_SIZE = 10;
const ANALYSES_MAX_BYTES = 16 * 1024 * 1024;

/** What a document's text implies, whatever the variables. */
interface Analysis {
  /** The refusal that does not depend on variables, if any. */
  refusal?: RequestError;
  /** Cost per operation name ('' for the only operation) where no variable changes it. */
  fixedCosts: Map<string, number>;
  /** Query, mutation or subscription, per operation name ('' for the only operation). */
  kinds?: Map<string, OperationTypeNode>;
  /** Kept only where a variable sizes a list: that cost is counted per request. */
  document?: DocumentNode;
}

/** A parsed document takes far more memory than its text: an estimate, per character. */
const DOCUMENT_BYTES_PER_CHAR = 24;

export class QueryLimits {
  private readonly analyses = new LRUCache<string, Analysis>({
    maxSize: ANALYSES_MAX_BYTES,
    sizeCalculation: (analysis, text) => text.length * (analysis.document ? DOCUMENT_BYTES_PER_CHAR : 2) + 256,
  });

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly settings: QueryLimitSettings,
  ) {}

  /**
   * Throws a RequestError if the operation `operationName` of `query`, with `variables`, is
   * over a limit; else says what kind of operation it is (undefined when the text does not
   * parse or names no such operation: Apollo reports that).
   */
  check(query: string, operationName: string | undefined, variables: Record<string, unknown> | undefined): OperationTypeNode | undefined {
    let analysis = this.analyses.get(query);
    if (!analysis) {
      analysis = this.analyze(query);
      this.analyses.set(query, analysis);
    }
    if (analysis.refusal) throw analysis.refusal;
    const kind = analysis.kinds?.get(operationName ?? '');
    let cost = analysis.fixedCosts.get(operationName ?? '');
    if (cost === undefined) {
      // No such operation, or a text that does not parse: Apollo reports either.
      const operation = analysis.document && pickOperation(analysis.document, operationName);
      if (!operation) return kind;
      cost = new CostCounter(this.schema, analysis.document!, operation, variables ?? {}).total();
    }
    if (cost > this.settings.cost) {
      throw refuse('QUERY_TOO_COSTLY', `the query may cost ${formatCost(cost)}, over the limit of ${this.settings.cost} (MAX_QUERY_COST): each field costs 1, and a list multiplies what it selects by its limit, n or number of ids; ask for fewer items or fewer fields`, this.settings.cost, cost);
    }
    return kind;
  }

  private analyze(query: string): Analysis {
    const { tokens, depth, aliases, directives, introspection } = this.settings;
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: tokens, noLocation: true });
    } catch (err) {
      // graphql-js words it "more that N tokens" (sic) in 16.x; either spelling is the token limit.
      if (/contains more th(?:an|at) \d+ tokens/.test((err as Error).message)) {
        return { refusal: refuse('TOO_MANY_TOKENS', `the query has more than ${tokens} tokens (MAX_QUERY_TOKENS); send a smaller query`, tokens), fixedCosts: new Map() };
      }
      return { fixedCosts: new Map() };
    }
    const counts = countNodes(document);
    const nesting = maxDepth(document);
    const refusal =
      nesting > depth ? refuse('QUERY_TOO_DEEP', `the query nests fields ${nesting} deep; the limit is ${depth} (MAX_QUERY_DEPTH)`, depth, nesting)
      : counts.aliases > aliases ? refuse('TOO_MANY_ALIASES', `the query has ${counts.aliases} aliases; the limit is ${aliases} (MAX_QUERY_ALIASES). Fetch many items with a list field (movies(ids: …)) instead`, aliases, counts.aliases)
      : counts.directives > directives ? refuse('TOO_MANY_DIRECTIVES', `the query has ${counts.directives} directives; the limit is ${directives} (MAX_QUERY_DIRECTIVES)`, directives, counts.directives)
      : counts.introspection && !introspection ? new RequestError(400, 'INTROSPECTION_DISABLED', 'introspection (__schema, __type) is off on this gateway; set INTROSPECTION=true to allow it')
      : undefined;
    if (refusal) return { refusal, fixedCosts: new Map() };
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const fixedCosts = new Map<string, number>();
    const kinds = new Map<string, OperationTypeNode>();
    let variableSized = false;
    for (const operation of operations) {
      if (operation.name) kinds.set(operation.name.value, operation.operation);
      if (operations.length === 1) kinds.set('', operation.operation);
      const counter = new CostCounter(this.schema, document, operation, {});
      const cost = counter.total();
      variableSized ||= counter.readVariables;
      if (counter.readVariables) continue;
      if (operation.name) fixedCosts.set(operation.name.value, cost);
      if (operations.length === 1) fixedCosts.set('', cost);
    }
    return { fixedCosts, kinds, document: variableSized ? document : undefined };
  }
}

function refuse(code: string, message: string, limit: number, actual?: number): RequestError {
  return new RequestError(400, code, message, actual === undefined ? { limit } : { limit, actual });
}

function formatCost(cost: number): string {
  return Number.isFinite(cost) && cost < 1e15 ? String(Math.round(cost)) : 'more than 10^15';
}

/** Aliases and directives as written, and whether an introspection field appears. */
function countNodes(document: DocumentNode): { aliases: number; directives: number; introspection: boolean } {
  const counts = { aliases: 0, directives: 0, introspection: false };
  const visitSet = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      counts.directives += selection.directives?.length ?? 0;
      if (selection.kind === Kind.FIELD) {
        if (selection.alias) counts.aliases++;
        if (selection.name.value === '__schema' || selection.name.value === '__type') counts.introspection = true;
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD) visitSet(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    counts.directives += definition.directives?.length ?? 0;
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      for (const variable of definition.variableDefinitions ?? []) counts.directives += variable.directives?.length ?? 0;
    }
    visitSet(definition.selectionSet);
  }
  return counts;
}

/** The deepest nesting of fields of any operation, fragments expanded (each fragment measured once). */
function maxDepth(document: DocumentNode): number {
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  const depthOf = (set: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet));
      else if (selection.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(selection.selectionSet));
      else deepest = Math.max(deepest, fragmentDepth(selection.name.value));
    }
    return deepest;
  };
  const fragmentDepth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, 0); // a cycle (invalid; validation reports it) counts nothing more
    const depth = depthOf(fragments.get(name)?.selectionSet);
    memo.set(name, depth);
    return depth;
  };
  let deepest = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) deepest = Math.max(deepest, depthOf(definition.selectionSet));
  }
  return deepest;
}

/** The cost of one operation with its variables; `readVariables` says whether they mattered. */
class CostCounter {
  readVariables = false;
  private readonly fragments: Map<string, FragmentDefinitionNode>;
  private readonly fragmentCosts = new Map<string, number>();
  private readonly defaults: Map<string, unknown>;

  constructor(
    private readonly schema: GraphQLSchema,
    document: DocumentNode,
    private readonly operation: OperationDefinitionNode,
    private readonly variables: Record<string, unknown>,
  ) {
    this.fragments = fragmentsOf(document);
    this.defaults = new Map(
      (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.defaultValue && valueFromASTUntyped(v.defaultValue)]),
    );
  }

  total(): number {
    return this.costOf(this.operation.selectionSet, this.schema.getRootType(this.operation.operation) ?? undefined);
  }

  private costOf(set: SelectionSetNode | undefined, parent: GraphQLNamedType | undefined): number {
    let cost = 0;
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        cost += this.fieldCost(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        cost += this.costOf(selection.selectionSet, type ?? undefined);
      } else {
        cost += this.fragmentCost(selection.name.value);
      }
    }
    return cost;
  }

  private fieldCost(field: FieldNode, parent: GraphQLNamedType | undefined): number {
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[field.name.value] : undefined;
    if (!field.selectionSet) return 1;
    const returned = definition && getNamedType(definition.type);
    const inner = this.costOf(field.selectionSet, returned && isCompositeType(returned) ? returned : undefined);
    const items = definition && isListType(getNullableType(definition.type)) ? this.itemsOf(field, definition) : 1;
    return 1 + items * inner;
  }

  private fragmentCost(name: string): number {
    const known = this.fragmentCosts.get(name);
    if (known !== undefined) return known;
    this.fragmentCosts.set(name, 0); // a cycle (invalid; validation reports it) costs nothing more
    const fragment = this.fragments.get(name);
    const type = fragment && this.schema.getType(fragment.typeCondition.name.value);
    const cost = this.costOf(fragment?.selectionSet, type ?? undefined);
    this.fragmentCosts.set(name, cost);
    return cost;
  }

  /** How many items a list field may return: its size argument as given or defaulted, or its ids' count. */
  private itemsOf(field: FieldNode, definition: GraphQLField<unknown, unknown>): number {
    for (const argument of definition.args) {
      const sizes = SIZE_ARGUMENTS.includes(argument.name);
      const ids = argument.name === 'ids';
      if (!sizes && !ids) continue;
      const node = field.arguments?.find((a) => a.name.value === argument.name);
      const value = node ? this.valueOf(node.value) : argument.defaultValue;
      if (ids && Array.isArray(value)) return value.length;
      if (sizes && typeof value === 'number' && value >= 0) return value;
    }
    return DEFAULT_LIST_SIZE;
  }

  private valueOf(node: Parameters<typeof valueFromASTUntyped>[0]): unknown {
    if (node.kind !== Kind.VARIABLE) return valueFromASTUntyped(node);
    this.readVariables = true;
    const name = node.name.value;
    return name in this.variables ? this.variables[name] : this.defaults.get(name);
  }
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** The operation a request runs: the named one, or the only one. */
function pickOperation(document: DocumentNode, operationName: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName === undefined) return operations.length === 1 ? operations[0] : undefined;
  return operations.find((o) => o.name?.value === operationName);
}
