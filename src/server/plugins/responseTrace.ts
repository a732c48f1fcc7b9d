/**
 * Tells the response tier (cache/responses.ts) whether a request's answer may be kept: only a
 * query whose every root field reads its data through the tiered loaders, so that the trace of
 * tag versions covers all of it. `genres`, `sectors` and `jobs` read Postgres directly (no tags
 * say when they change); `me` is PRIVATE, never kept there.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Context } from '../context.js';

export const TRACED_ROOT_FIELDS: ReadonlySet<string> = new Set([
  'movie', 'movies', 'popularMovies', 'topMoviesByGenre', 'user', 'recommendations',
  'candidate', 'job', 'match', 'topMatches', 'topCandidates', 'travelTime', 'matchingStats', 'algorithmWeights',
]);

export function responseTracePlugin(): ApolloServerPlugin<Context> {
  /** Per operation node: Apollo keeps parsed documents, so a repeated query is judged once. */
  const judged = new WeakMap<OperationDefinitionNode, boolean>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue }) {
          const trace = contextValue.tiers.trace;
          if (!trace || !operation) return;
          let traced = judged.get(operation);
          if (traced === undefined) {
            traced = operation.operation === 'query' && rootFieldsTraced(operation.selectionSet, document, new Set());
            judged.set(operation, traced);
          }
          trace.traced = traced;
        },
      };
    },
  };
}

function rootFieldsTraced(set: SelectionSetNode, document: DocumentNode, seen: Set<string>): boolean {
  return set.selections.every((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === '__typename' || TRACED_ROOT_FIELDS.has(selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldsTraced(selection.selectionSet, document, seen);
    const name = selection.name.value;
    if (seen.has(name)) return true;
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION && rootFieldsTraced(fragment.selectionSet, document, seen);
  });
}
