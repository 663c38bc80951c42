import { BoundedMap } from './bounded-map';

describe('BoundedMap', () => {
  it('forgets the oldest entry when a new key would pass the bound', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('c', 3);
    expect([...map.keys()]).toEqual(['b', 'c']);
  });

  it('replacing a key it holds forgets nothing', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 3);
    expect([...map.entries()]).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('refuses a bound below one', () => {
    expect(() => new BoundedMap(0)).toThrow('at least 1');
  });
});
