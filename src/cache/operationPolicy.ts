/**
 * The cache policy of a whole operation, computed from its document and the schema's hints
 * (policy.ts) once per operation, instead of by Apollo's cache-control plugin, which hooks
 * every field resolution of every request to fold the same hints together (about a tenth of
 * Apollo's time per request, measured on the constant-resolver ceiling).
 *
 * The result is Apollo's, over every field the operation selects: the smallest maxAge, PRIVATE
 * if any field or type says so. Apollo counts only the fields that were resolved (not those
 * under a null parent, or skipped by @skip), so this is never less restrictive than Apollo's,
 * and equal when every field resolves (a test compares the two on the contract's operations).
 */
import { getNamedType, isObjectType, Kind, type DocumentNode, type GraphQLNamedType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { CacheScope, SchemaCachePolicy } from './policy.js';

export interface OperationPolicy {
  /** Undefined when no field restricts it (only __typename, say): not cacheable. */
  maxAge: number | undefined;
  scope: CacheScope;
}

export class OperationPolicies {
  /** Per operation node: Apollo keeps parsed documents, so a repeated query is judged once. */
  private readonly known = new WeakMap<OperationDefinitionNode, OperationPolicy>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly policy: SchemaCachePolicy,
  ) {}

  of(document: DocumentNode, operation: OperationDefinitionNode): OperationPolicy {
    let found = this.known.get(operation);
    if (!found) {
      found = { maxAge: undefined, scope: 'PUBLIC' };
      const root = this.schema.getRootType(operation.operation);
      if (root) this.restrict(found, operation.selectionSet, root, document, new Set());
      this.known.set(operation, found);
    }
    return found;
  }

  private restrict(policy: OperationPolicy, set: SelectionSetNode, parent: GraphQLNamedType, document: DocumentNode, spread: Set<string>): void {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!isObjectType(parent) || selection.name.value.startsWith('__')) continue;
        const field = parent.getFields()[selection.name.value];
        if (!field) continue;
        const hint = this.policy.responseHint(`${parent.name}.${field.name}`);
        if (hint.maxAge !== undefined) policy.maxAge = policy.maxAge === undefined ? hint.maxAge : Math.min(policy.maxAge, hint.maxAge);
        if (hint.scope === 'PRIVATE') policy.scope = 'PRIVATE';
        if (selection.selectionSet) this.restrict(policy, selection.selectionSet, getNamedType(field.type), document, spread);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
        if (type) this.restrict(policy, selection.selectionSet, type, document, spread);
      } else if (!spread.has(selection.name.value)) {
        // A fragment's fields restrict the same wherever it is spread: once is enough.
        spread.add(selection.name.value);
        const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
        const type = fragment?.kind === Kind.FRAGMENT_DEFINITION ? this.schema.getType(fragment.typeCondition.name.value) : undefined;
        if (fragment?.kind === Kind.FRAGMENT_DEFINITION && type) this.restrict(policy, fragment.selectionSet, type, document, spread);
      }
    }
  }
}
