/**
 * Fails when src/generated/ differs from what `npm run codegen` would write now: the schema
 * changed and the generated types were not regenerated.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../src/config.js';

/** The files codegen would write, with whether each matches the committed copy. */
export async function staleGeneratedFiles(): Promise<string[]> {
  const config = parseYaml(readFileSync(path.join(projectRoot, 'codegen.yml'), 'utf8'));
  const cwd = process.cwd();
  process.chdir(projectRoot);
  try {
    const outputs: Array<{ filename: string; content: string }> = await generate({ ...config, silent: true }, false);
    return outputs
      .filter((o) => {
        let current = '';
        try {
          current = readFileSync(path.resolve(projectRoot, o.filename), 'utf8');
        } catch {
          return true;
        }
        return current !== o.content;
      })
      .map((o) => o.filename);
  } finally {
    process.chdir(cwd);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stale = await staleGeneratedFiles();
  if (stale.length > 0) {
    console.error(`Generated code is stale: ${stale.join(', ')}. Run \`npm run codegen\` and commit the result.`);
    process.exit(1);
  }
  console.log('generated code is up to date');
}
