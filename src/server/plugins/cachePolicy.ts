/**
 * Sets each answer's `Cache-Control` from its operation's policy (cache/operationPolicy.ts):
 * `public, max-age=N` or `private, max-age=N` for a query answered without errors whose policy has a maxAge;
 * nothing otherwise (noStore.ts then says `no-store`). It stands in for Apollo's cache-control
 * plugin, which is disabled: that one folds the same hints per field, on every request.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationPolicies } from '../../cache/operationPolicy.js';

export function cachePolicyPlugin<T extends object>(policies: OperationPolicies): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, document, operation }) {
          if (response.body.kind !== 'single' || response.body.singleResult.errors || !document || operation?.operation !== 'query') return;
          const { maxAge, scope } = policies.of(document, operation);
          if (maxAge) response.http.headers.set('cache-control', `${scope.toLowerCase()}, max-age=${maxAge}`);
        },
      };
    },
  };
}
