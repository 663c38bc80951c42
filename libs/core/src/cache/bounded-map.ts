/**
 * A Map that holds at most `max` entries: setting a new key when full forgets the oldest one
 * (insertion order). Every cache keyed by something a caller chooses is one of these, so none grows
 * without bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super();
    if (!(max >= 1)) throw new Error('BoundedMap needs a max of at least 1');
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
