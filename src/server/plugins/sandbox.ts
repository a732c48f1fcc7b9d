/**
 * The page a browser gets at GET /graphql: GraphiQL, with every script and style served by
 * the gateway itself from node_modules (see SANDBOX_ASSETS), so it works with no internet
 * access. Apollo's own landing page loads its sandbox from a CDN.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

/** URL path under /sandbox/ → file on disk. */
export const SANDBOX_ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': { file: path.join(packageDir('react'), 'umd/react.production.min.js'), type: 'text/javascript' },
  'react-dom.js': { file: path.join(packageDir('react-dom'), 'umd/react-dom.production.min.js'), type: 'text/javascript' },
  'graphiql.js': { file: path.join(packageDir('graphiql'), 'graphiql.min.js'), type: 'text/javascript' },
  'graphiql.css': { file: path.join(packageDir('graphiql'), 'graphiql.min.css'), type: 'text/css' },
};

const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Strata · GraphQL sandbox</title>
  <link rel="stylesheet" href="/sandbox/graphiql.css">
  <style>html, body, #sandbox { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="sandbox">Loading the sandbox…</div>
  <script src="/sandbox/react.js"></script>
  <script src="/sandbox/react-dom.js"></script>
  <script src="/sandbox/graphiql.js"></script>
  <script>
    const url = new URL('/graphql', location.href).toString();
    const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: url.replace(/^http/, 'ws') });
    const defaultQuery = '# Strata: movies, recommendations, candidates, jobs and matches.\\n' +
      'query Movie {\\n  movie(id: "1") { id title year genres avgRating ratingCount }\\n}\\n';
    ReactDOM.createRoot(document.getElementById('sandbox')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery, defaultEditorToolsVisibility: true }),
    );
  </script>
</body>
</html>`;

export function sandboxLandingPage<T extends object>(): ApolloServerPlugin<T> {
  return {
    async serverWillStart() {
      return { async renderLandingPage() { return { html }; } };
    },
  };
}
