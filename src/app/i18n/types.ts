/** The catalogue's types: message keys and their parameters, derived from the English catalogue's literal strings. */
import type { en } from './en/index';

/** The English catalogue's shape: the reference every language follows. */
export type Catalogue = typeof en;
type RawKey = keyof Catalogue;
type PluralSuffix = '_one' | '_other';
/** A key as code names it: a plural's base name without its `_one` / `_other` suffix. */
export type MessageKey = RawKey extends infer K ? (K extends `${infer B}${PluralSuffix}` ? B : K) : never;
type RawOf<K extends string> = Extract<RawKey, K | `${K}${PluralSuffix}`>;
type Trim<S extends string> = S extends ` ${infer R}` ? Trim<R> : S extends `${infer R} ` ? Trim<R> : S;
/** The `{{name}}` / `{{name, format}}` placeholders of a message. */
type VarsOf<S> = S extends `${string}{{${infer V}}}${infer Rest}`
  ? (V extends `${infer N},${string}` ? Trim<N> : Trim<V>) | VarsOf<Rest>
  : never;
type VarsOfKey<K extends string> =
  VarsOf<Catalogue[RawOf<K>]> | (`${K}_other` extends RawKey ? 'count' : never);
/** A message's parameters: none, or exactly its placeholders (a plural also needs `count`). */
export type MessageParams<K extends MessageKey> = [VarsOfKey<K>] extends [never]
  ? []
  : [params: Record<VarsOfKey<K>, string | number>];

/** Shape of another language's catalogue (or of one area of it): each English key (a plural's `_one` aside), a string. */
export type Translation<T = Catalogue> = {
  readonly [K in keyof T as K extends `${string}_one` ? never : K]: string;
};
