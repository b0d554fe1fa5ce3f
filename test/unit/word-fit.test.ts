import { describe, expect, it } from 'vitest';
import { chooseBreaks, fitLabel, softHyphen, syllableBreaks, unbreakablePieces } from '../../client/src/wall/word-fit.ts';

/**
 * The wall's label fitting (client/src/wall/word-fit.ts): wrap between words, shrink a word too
 * wide for its tile down to the wall's least size, and only then hyphenate it at a syllable.
 * Widths come from a fixed-pitch "font": every character 0.5 em wide.
 */
const mono = (px: number) => (s: string) => [...s].length * px * 0.5;
const lines = (text: string) => text.split(softHyphen);

describe('syllableBreaks: where an English word may take a hyphen', () => {
  it('known words break at their dictionary syllables, two letters kept before and three after', () => {
    expect(syllableBreaks('Occupancy')).toEqual([2, 4]); // Oc-cu-pancy ("pan-cy" would leave 2)
    expect(syllableBreaks('Utilization')).toEqual([3, 5, 7]); // Uti-li-za-tion ("U-" keeps 1)
    expect(syllableBreaks('available')).toEqual([5, 6]); // avail-a-ble ("a-" keeps 1)
  });

  it('other words: a consonant between vowels starts a syllable, two are split unless a digraph', () => {
    // "Diversification": di-ver-si-fi-ca-tion
    expect(syllableBreaks('Diversification').map((i) => 'Diversification'.slice(0, i))).toEqual(['Di', 'Diver', 'Diversi', 'Diversifi', 'Diversifica']);
    // "th" stays together: "Ma-the-ma-tics", never "Mat-he…"
    expect(syllableBreaks('Mathematics').map((i) => 'Mathematics'.slice(0, i))).not.toContain('Mat');
  });

  it('never inside a figure or a word with digits, never in a word too short to keep 2 + 3 letters', () => {
    expect(syllableBreaks('12345678')).toEqual([]);
    expect(syllableBreaks('A1049abc')).toEqual([]);
    expect(syllableBreaks('ACW')).toEqual([]);
    expect(syllableBreaks('rate')).toEqual([]);
  });
});

describe('unbreakablePieces: what a line may not break inside', () => {
  it('words, a word ending in its hyphen, spaces, and each Chinese character alone', () => {
    expect(unbreakablePieces('Intelligent-service share')).toEqual(['Intelligent-', 'service', ' ', 'share']);
    expect(unbreakablePieces('座席利用率')).toEqual(['座', '席', '利', '用', '率']);
    expect(unbreakablePieces('Mean rating (1–5)')).toEqual(['Mean', ' ', 'rating', ' ', '(1–', '5)']);
  });
});

describe('chooseBreaks: the latest syllable that fits each line', () => {
  it('"Occu-pancy", never "O-ccupancy" or "Occupan-cy" past the line', () => {
    const width = mono(20); // 10 px a character
    // 9 letters (90 px) on 60 px lines: "Occu-" (50 px) fits, "Occupa-" would not
    expect(chooseBreaks('Occupancy', 60, width)).toEqual([4]);
    // on 40 px lines: "Oc-" (30) then "cu-" (30)… "pancy" (50) is still too wide: a letter break
    const narrow = chooseBreaks('Occupancy', 40, width);
    expect(narrow[0]).toBe(2);
    expect(narrow.length).toBeGreaterThan(1);
  });

  it('"Utiliza-tion" when "Utiliza-" fits', () => {
    expect(chooseBreaks('Utilization', 80, mono(20))).toEqual([7]);
  });

  it('a word that fits is not broken', () => {
    expect(chooseBreaks('Waiting', 80, mono(20))).toEqual([]);
  });
});

describe('fitLabel: shrink first, hyphenate only at the least size', () => {
  it('a label whose words all fit is left alone, however many lines it takes', () => {
    expect(fitLabel({ text: 'Agents not ready', available: 70, nominalPx: 20, minPx: 20, measure: mono(20) })).toEqual({ fontPx: 20, text: 'Agents not ready', hyphenated: [] });
  });

  it('a word wider than the line shrinks the label until it fits, when the least size allows', () => {
    // "Occupancy" is 108 px at 24 px (12 px a character); the line is 80 px: it fits at
    // 24 × 80 / 108 = 17.7 px, above the least size (16 px)
    const fit = fitLabel({ text: 'Occupancy', available: 80, nominalPx: 24, minPx: 16, measure: mono(24) });
    expect(fit.fontPx).toBeCloseTo(17.7, 5);
    expect(fit.text).toBe('Occupancy');
    expect(fit.hyphenated).toEqual([]);
    expect(mono(fit.fontPx)('Occupancy')).toBeLessThanOrEqual(80);
  });

  it('at the least size a word still too wide is hyphenated at a syllable: "Occu-pancy"', () => {
    // the wall's labels are at the least size already (20 px at 1080p): no room to shrink
    const fit = fitLabel({ text: 'Occupancy', available: 60, nominalPx: 20, minPx: 20, measure: mono(20) });
    expect(fit.fontPx).toBe(20);
    expect(fit.hyphenated).toEqual(['Occu-pancy']);
    expect(lines(fit.text)).toEqual(['Occu', 'pancy']);
  });

  it('shrinks to the least size, then hyphenates: never below the least size', () => {
    const fit = fitLabel({ text: 'Utilization', available: 70, nominalPx: 24, minPx: 20, measure: mono(24) });
    expect(fit.fontPx).toBe(20);
    // "Utiliza-" (80 px) is too wide for the 70 px line: the syllable before it
    expect(fit.hyphenated).toEqual(['Utili-zation']);
    const [first, last] = lines(fit.text);
    expect(mono(20)(`${first}-`)).toBeLessThanOrEqual(70);
    expect(mono(20)(last!)).toBeLessThanOrEqual(70);
  });

  it('only the words too wide are hyphenated; the others wrap whole', () => {
    const fit = fitLabel({ text: 'Agents available', available: 60, nominalPx: 20, minPx: 20, measure: mono(20) });
    // "Agents" (60 px) fits; "available" (90 px) does not: "avail-able"
    expect(fit.text).toBe(`Agents avail${softHyphen}able`);
    expect(fit.hyphenated).toEqual(['avail-able']);
  });

  it('a word ending in a hyphen keeps it: "Intelligent-service share"', () => {
    const fit = fitLabel({ text: 'Intelligent-service share', available: 80, nominalPx: 20, minPx: 20, measure: mono(20) });
    expect(fit.text).toBe(`Intelli${softHyphen}gent-service share`);
  });

  it('figures are never hyphenated (the label shrinks to the least size and no more)', () => {
    const fit = fitLabel({ text: 'Total 1234567890', available: 60, nominalPx: 20, minPx: 20, measure: mono(20) });
    expect(fit.text).toBe('Total 1234567890');
    expect(fit.hyphenated).toEqual([]);
  });

  it('Chinese labels wrap between characters: nothing to shrink or hyphenate', () => {
    expect(fitLabel({ text: '机器人问题解决率', available: 45, nominalPx: 20, minPx: 20, measure: mono(40) })).toEqual({ fontPx: 20, text: '机器人问题解决率', hyphenated: [] });
  });
});
