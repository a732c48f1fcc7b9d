/**
 * The cache policy, read once from the schema's @cacheControl hints: for each type and
 * field, how long (ttlMs) and for whom (scope) its value may be cached. The only place that
 * turns the schema's seconds into milliseconds; no TTL constant lives anywhere else.
 *
 * Semantics follow Apollo's cache-control plugin: a field's own hint wins; a field marked
 * `inheritMaxAge` takes its parent type's maxAge; otherwise a field returning an object type
 * takes that type's hint. Scope is PRIVATE when the field or its type says so.
 */
import { getDirective } from '@graphql-tools/utils';
import { getNamedType, isCompositeType, isObjectType, type GraphQLSchema } from 'graphql';

export type CacheScope = 'PUBLIC' | 'PRIVATE';

export interface CachePolicy {
  maxAgeSeconds: number;
  ttlMs: number;
  scope: CacheScope;
}

interface Hint {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge?: boolean;
}

export class SchemaCachePolicy {
  private readonly types = new Map<string, Hint>();
  private readonly fields = new Map<string, { own: Hint | undefined; returns: string; composite: boolean }>();
  private readonly roots: ReadonlySet<string>;

  constructor(schema: GraphQLSchema) {
    this.roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) => (t ? [t.name] : [])));
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      this.types.set(type.name, hintOf(schema, type) ?? {});
      for (const field of Object.values(type.getFields())) {
        const returns = getNamedType(field.type);
        this.fields.set(`${type.name}.${field.name}`, {
          own: hintOf(schema, field),
          returns: returns.name,
          composite: isCompositeType(returns),
        });
      }
    }
  }

  /** The policy of an object type's own hint, e.g. `Movie` → 24 h PUBLIC. Unknown types are not cacheable. */
  forType(typename: string): CachePolicy {
    const hint = this.types.get(typename);
    return policy(hint?.maxAge ?? 0, hint?.scope);
  }

  /** The policy of one field, e.g. `Query.recommendations` → 1 h PUBLIC. Unknown fields are not cacheable. */
  forField(coordinate: string): CachePolicy {
    const field = this.fields.get(coordinate);
    if (!field) return policy(0, undefined);
    const parent = this.types.get(coordinate.slice(0, coordinate.indexOf('.')));
    const returned = field.composite ? this.types.get(field.returns) : undefined;
    const maxAge =
      field.own?.maxAge ?? (field.own?.inheritMaxAge ? parent?.maxAge : returned?.maxAge) ?? 0;
    const scope = field.own?.scope === 'PRIVATE' || returned?.scope === 'PRIVATE' ? 'PRIVATE' : 'PUBLIC';
    return policy(maxAge, scope);
  }

  /**
   * What one resolved field contributes to its response's policy, by the rules of Apollo's
   * cache-control plugin: the hint of the type it returns, replaced by its own (unless its own
   * says inheritMaxAge); a root field, or one returning an object type, without a maxAge
   * restricts to 0; a leaf without one does not restrict (undefined). Unknown: undefined.
   */
  responseHint(coordinate: string): { maxAge?: number; scope?: CacheScope } {
    const field = this.fields.get(coordinate);
    if (!field) return {};
    let maxAge: number | undefined;
    let scope: CacheScope | undefined;
    let inherit = false;
    if (field.composite) {
      const type = this.types.get(field.returns) ?? {};
      ({ maxAge, scope } = type);
      inherit = !!type.inheritMaxAge;
    }
    const own = field.own ?? {};
    if (own.inheritMaxAge && maxAge === undefined) {
      inherit = true;
      scope = own.scope ?? scope;
    } else {
      maxAge = own.maxAge ?? maxAge;
      scope = own.scope ?? scope;
    }
    const root = this.roots.has(coordinate.slice(0, coordinate.indexOf('.')));
    if (maxAge === undefined && ((field.composite && !inherit) || root)) maxAge = 0;
    return { maxAge, scope };
  }

  /** The longest maxAge of any type or field: what outlives every entry (tag versions). */
  longestTtlMs(): number {
    let longest = 0;
    for (const hint of this.types.values()) longest = Math.max(longest, hint.maxAge ?? 0);
    for (const field of this.fields.values()) longest = Math.max(longest, field.own?.maxAge ?? 0);
    return longest * 1000;
  }

  /**
   * Throws, listing every offender, unless each named type or field (`Movie`, `Query.match`)
   * has a maxAge above 0: run at start-up against what the cache serves, so a schema edit
   * that drops a hint fails loudly instead of silently caching nothing.
   */
  assertCacheable(names: readonly string[]): void {
    const offenders = names.filter((name) => (name.includes('.') ? this.forField(name) : this.forType(name)).ttlMs <= 0);
    if (offenders.length > 0) {
      throw new Error(
        `the cache serves ${offenders.join(', ')}, but the schema gives ${offenders.length === 1 ? 'it' : 'them'} no maxAge; ` +
          'add @cacheControl(maxAge: …) in schema/',
      );
    }
  }
}

function hintOf(schema: GraphQLSchema, node: Parameters<typeof getDirective>[1]): Hint | undefined {
  return getDirective(schema, node, 'cacheControl')?.[0] as Hint | undefined;
}

function policy(maxAgeSeconds: number, scope: CacheScope | undefined): CachePolicy {
  return { maxAgeSeconds, ttlMs: maxAgeSeconds * 1000, scope: scope ?? 'PUBLIC' };
}

/**
 * The one TTL the schema's hints cannot express: seed 004 keeps a power user's
 * recommendations 24 h (asked for constantly, slow to change) against the hint's 1 h.
 */
export const POWER_USER_RECOMMENDATIONS_TTL_MS = 24 * 3600 * 1000;
