/**
 * The trusted documents: the first-party client's operations (contract/operations.graphql),
 * by the sha256 of their text, as graphql-codegen's client preset writes them
 * (`persistedDocuments` in codegen.yml → src/generated/client/persisted-documents.json).
 * PERSISTED_ONLY=true serves these and nothing a client has not been shipped with.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../config.js';

export const MANIFEST_FILE = path.join(projectRoot, 'src', 'generated', 'client', 'persisted-documents.json');

export class TrustedDocuments {
  private constructor(private readonly byHash: ReadonlyMap<string, string>) {}

  /** Reads the manifest; its keys are `sha256:<hex>`. */
  static load(file = MANIFEST_FILE): TrustedDocuments {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    return new TrustedDocuments(new Map(Object.entries(manifest).map(([key, text]) => [key.replace(/^sha256:/, ''), text])));
  }

  /** The text whose sha256 (hex) is `hash`, if it is a trusted document. */
  get(hash: string): string | undefined {
    return this.byHash.get(hash);
  }

  /** Every (hash, text). */
  entries(): IterableIterator<[string, string]> {
    return this.byHash.entries();
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Each document by its operation's name (`query Movie(…)` → Movie), with its hash. */
  byOperationName(): Map<string, { query: string; hash: string }> {
    const byName = new Map<string, { query: string; hash: string }>();
    for (const [hash, query] of this.byHash) {
      const name = /(?:query|mutation|subscription) (\w+)/.exec(query)?.[1];
      if (name) byName.set(name, { query, hash });
    }
    return byName;
  }
}
