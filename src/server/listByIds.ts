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
 */
import {
  GraphQLList,
  GraphQLNonNull,
  Kind,
  getNamedType,
  isListType,
  isNonNullType,
  parse,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';

export interface ListPlan {
  /** Where the list stands in the answer: the field's alias or name. */
  responseKey: string;
  /** The variable that holds the ids. */
  idsVariable: string;
}

export class ListsByIds {
  private readonly fields: ReadonlySet<string>;
  /** Per operation name and query text; `{ none: true }` when the operation is not such a list. */
  private readonly plans = new LRUCache<string, ListPlan | { none: true }>({ max: 1000 });

  constructor(schema: GraphQLSchema) {
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
    const key = `${operationName ?? ''}\n${query}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.planOf(query, operationName) ?? { none: true };
      this.plans.set(key, plan);
    }
    return 'none' in plan ? undefined : plan;
  }

  private planOf(query: string, operationName: string | undefined): ListPlan | undefined {
    if (this.fields.size === 0) return undefined;
    let operations: OperationDefinitionNode[];
    try {
      // The query limits have parsed this text already and refused it if it was hostile.
      operations = parse(query, { noLocation: true }).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    } catch {
      return undefined;
    }
    const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
    if (operation?.operation !== 'query' || operation.directives?.length || operation.selectionSet.selections.length !== 1) return undefined;
    const field = operation.selectionSet.selections[0];
    if (field.kind !== Kind.FIELD || !this.fields.has(field.name.value) || field.directives?.length) return undefined;
    const ids = field.arguments?.length === 1 ? field.arguments[0].value : undefined;
    if (ids?.kind !== Kind.VARIABLE) return undefined;
    return { responseKey: field.alias?.value ?? field.name.value, idsVariable: ids.name.value };
  }
}

/** `[ID!]!` (or a looser list of IDs). */
function isIdList(type: unknown): boolean {
  const list = type instanceof GraphQLNonNull ? type.ofType : type;
  return list instanceof GraphQLList && getNamedType(list)?.name === 'ID';
}
