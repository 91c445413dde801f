// Token vocabularies built as the S4 repository builds them (torchtext's
// build_vocab_from_iterator): the special tokens first, then every token of the training split
// by descending count, ties in string order (UTF-16 code units: Python's code-point order for
// every token in the Basic Multilingual Plane).

/** Token strings <-> ids. Unknown tokens map to the id of '<unk>' when the vocabulary has one. */
export class Vocabulary {
  private readonly ids = new Map<string, number>();

  /** @param tokens the tokens by id */
  constructor(readonly tokens: readonly string[]) {
    tokens.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
  }

  /** Number of ids. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`: its own, else '<unk>''s, else −1. */
  id(token: string): number {
    return this.ids.get(token) ?? this.ids.get('<unk>') ?? -1;
  }

  /**
   * Specials first (in order), then the counted tokens with at least `minCount` occurrences,
   * most frequent first, ties in string order — torchtext's order, so ids match the
   * S4 repository's.
   */
  static fromCounts(counts: Map<string, number>, specials: readonly string[], minCount = 1): Vocabulary {
    const ranked = [...counts].filter(([t, c]) => c >= minCount && !specials.includes(t));
    ranked.sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0));
    return new Vocabulary([...specials, ...ranked.map(([t]) => t)]);
  }
}

/** Adds the tokens to a count map. */
export function countTokens(counts: Map<string, number>, tokens: readonly string[]): void {
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
}
