/**
 * Lists fetched by ids, answered item by item. A query like `movies(ids: $ids)` draws a new
 * combination of ids almost every time, so its whole answer is rarely asked for twice, while
 * each item in it is asked for again and again. The response tier (responseTier.ts) keeps such
 * a query's items as pieces, one per id, and answers from them, running only the ids it lacks.
 *
 * Which fields: the root Query fields that take one argument, `ids: [ID!]!`, and return a
 * list. The schema's convention for them is one item per id, in the order of `ids` (null
 * where none), so that item i of an answer is the piece of id i. Which operations: a query
 * whose only root selection is such a field, plain (no directive) and given its ids as a
 * variable, so that the ids can be swapped for the missing ones and the same document run.
 *
 * One run builds several items, and its trace holds the tag versions of them all. When the
 * items select only their own leaf fields (no object below them), each item was built from
 * its own entity's entries: its piece need not record the other items' entity tags, so a
 * write to one movie does not drop the pieces of the movies that happened to run with it.
 * Items that may be pieces (entityPieces.ts) are kept under their piece's key, shared with
 * every other answer that shows the same entity in the same shape.
 */
import {
  GraphQLList,
  GraphQLNonNull,
  Kind,
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { EntityPieces, PieceShape } from './entityPieces.js';
import { OperationPlans, fragmentsOf } from './operationPlans.js';

export interface ListPlan {
  /** Where the list stands in the answer: the field's alias or name. */
  responseKey: string;
  /** The variable that holds the ids. */
  idsVariable: string;
  /** The items' type when they select only leaf fields of their own (see above); else undefined. */
  flatItemsOf?: string;
  /**
   * When the items may be pieces: their shape, and the max-age of the list's answer (the
   * list field's hint, or less where the items' fields say so).
   */
  pieces?: { shape: PieceShape; maxAge: number };
}

export class ListsByIds {
  private readonly fields: ReadonlySet<string>;
  private readonly plans = new OperationPlans((operation, document) => this.planOf(operation, document));

  /** `pieces`: where the items' shapes come from; without it, items are kept per list. */
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly pieces?: EntityPieces,
  ) {
    const fields = new Set<string>();
    for (const field of Object.values(schema.getQueryType()?.getFields() ?? {})) {
      const [arg, ...others] = field.args;
      const type = isNonNullType(field.type) ? field.type.ofType : field.type;
      if (others.length === 0 && arg?.name === 'ids' && isListType(type) && isIdList(arg.type)) fields.add(field.name);
    }
    this.fields = fields;
  }

  /** How to answer `query`'s operation item by item; undefined when it is not a list by ids. */
  plan(query: string, operationName: string | undefined): ListPlan | undefined {
    return this.plans.get(query, operationName);
  }

  private planOf(operation: OperationDefinitionNode, document: DocumentNode): ListPlan | undefined {
    if (this.fields.size === 0) return undefined;
    if (operation.operation !== 'query' || operation.directives?.length || operation.selectionSet.selections.length !== 1) return undefined;
    const field = operation.selectionSet.selections[0];
    if (field.kind !== Kind.FIELD || !this.fields.has(field.name.value) || field.directives?.length) return undefined;
    const ids = field.arguments?.length === 1 ? field.arguments[0].value : undefined;
    if (ids?.kind !== Kind.VARIABLE || !field.selectionSet) return undefined;
    const itemType = getNamedType(this.schema.getQueryType()!.getFields()[field.name.value].type);
    const fragments = fragmentsOf(document);
    const flat = isObjectType(itemType) && onlyLeaves(itemType, field.selectionSet, fragments, new Set());
    const plan: ListPlan = { responseKey: field.alias?.value ?? field.name.value, idsVariable: ids.name.value, flatItemsOf: flat ? itemType.name : undefined };
    const shape = flat && this.pieces?.shape(itemType, [field.selectionSet], fragments);
    if (shape) plan.pieces = { shape, maxAge: Math.min(shape.maxAge, this.pieces!.fieldMaxAge(`Query.${field.name.value}`)) };
    return plan;
  }
}

/** Every field `set` selects on `type` is a leaf (scalar or enum, or a list of them). */
function onlyLeaves(type: GraphQLObjectType, set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): boolean {
  return set.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') return true;
      const field = type.getFields()[selection.name.value];
      return field !== undefined && isLeafType(getNamedType(field.type)) && !selection.selectionSet;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
    if (!fragment || (fragment.typeCondition && fragment.typeCondition.name.value !== type.name)) return false;
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      if (seen.has(selection.name.value)) return true;
      seen.add(selection.name.value);
    }
    return onlyLeaves(type, fragment.selectionSet, fragments, seen);
  });
}

/** `[ID!]!` (or a looser list of IDs). */
function isIdList(type: unknown): boolean {
  const list = type instanceof GraphQLNonNull ? type.ofType : type;
  return list instanceof GraphQLList && getNamedType(list)?.name === 'ID';
}
