import { describe, expect, it } from 'vitest';
import { appConfig } from '../../shared/contract/config.ts';
import { benchConfig, wallBoardId } from '../bench/scenarios.ts';

describe('the benchmark server’s configuration', () => {
  it('passes the product’s config validation, one wall per latency center', () => {
    // `npm run bench` is not part of `npm test`: this is what keeps a stricter config rule from
    // breaking it unseen (two boards with one id did, 2026-12-07)
    const parsed = appConfig.safeParse(
      benchConfig(['lat100', 'lat1000', 'lat3000'], [
        { id: 'q1', channel: 'voice' },
        { id: 'q2', channel: 'text' },
      ]),
    );
    expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
    expect(parsed.data!.boards.map((b) => [b.id, b.center])).toEqual([
      [wallBoardId('lat100'), 'lat100'],
      [wallBoardId('lat1000'), 'lat1000'],
      [wallBoardId('lat3000'), 'lat3000'],
    ]);
  });
});
