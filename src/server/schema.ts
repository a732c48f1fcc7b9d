/** The executable schema: the SDL files of schema/ with the resolvers of resolvers/. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type GraphQLSchema } from 'graphql';
import { existsSync } from 'node:fs';
import { projectRoot } from '../config.js';
import { resolvers } from '../../resolvers/index.js';

const schemaDir = path.join(projectRoot, 'schema');

/** The SDL files, base.graphql first (it declares the root types the others extend). */
export function readTypeDefs(): string[] {
  const files = readdirSync(schemaDir).filter((f) => f.endsWith('.graphql'));
  files.sort((a, b) => (a === 'base.graphql' ? -1 : b === 'base.graphql' ? 1 : a.localeCompare(b)));
  return files.map((f) => readFileSync(path.join(schemaDir, f), 'utf8'));
}

/** `withResolvers`: others in place of resolvers/ (the benchmark's constant-resolver ceiling). */
export function buildSchema(withResolvers: object = resolvers): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: readTypeDefs(), resolvers: withResolvers as never });
}

/** The operation names of the first-party contract (contract/operations.graphql); empty without it. */
export function contractOperationNames(): Set<string> {
  const file = path.join(projectRoot, 'contract', 'operations.graphql');
  if (!existsSync(file)) return new Set();
  const names = parse(readFileSync(file, 'utf8')).definitions.flatMap((d) =>
    d.kind === 'OperationDefinition' && d.name ? [d.name.value] : [],
  );
  return new Set(names);
}
