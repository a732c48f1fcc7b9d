/**
 * Plans the response tier makes of an operation's text (listByIds.ts, entityPieces.ts): each
 * is made once, from the parsed text, and remembered per text and operation name, since the
 * tier asks for it on every request.
 */
import { Kind, parse, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';

export class OperationPlans<P> {
  /** Per query text, then per operation name (undefined: no plan). */
  private readonly plans = new LRUCache<string, Map<string, P | undefined>>({ max: 1000 });

  /** `make`: the plan of one operation of a parsed document, or undefined for none. */
  constructor(private readonly make: (operation: OperationDefinitionNode, document: DocumentNode) => P | undefined) {}

  /** The plan of `query`'s operation named `operationName` (or its only one). */
  get(query: string, operationName: string | undefined): P | undefined {
    let byName = this.plans.get(query);
    if (!byName) this.plans.set(query, (byName = new Map()));
    const name = operationName ?? '';
    if (!byName.has(name)) byName.set(name, this.planOf(query, operationName));
    return byName.get(name);
  }

  private planOf(query: string, operationName: string | undefined): P | undefined {
    let document: DocumentNode;
    try {
      // The query limits have parsed this text already and refused it if it was hostile.
      document = parse(query, { noLocation: true });
    } catch {
      return undefined;
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName === undefined ? (operations.length === 1 ? operations[0] : undefined) : operations.find((o) => o.name?.value === operationName);
    return operation && this.make(operation, document);
  }
}

export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}
