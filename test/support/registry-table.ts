import { metricRegistry, windowSemanticsText } from '../../shared/metrics/registry.ts';

/**
 * The README's metric table, rendered from the registry so the documented definitions are the
 * ones the engine and the ⓘ popovers use. `npx tsx test/support/registry-table.ts` prints it;
 * test/unit/readme.test.ts fails when the README's copy drifts.
 */
export function registryTable(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const rows = metricRegistry.map(
    (m) =>
      `| \`${m.id}\` | ${esc(m.name.zh)} / ${esc(m.name.en)} | ${esc(m.formula.zh)}<br>${esc(m.formula.en)} | ${m.unit} | ${m.window} | ${esc(m.source.zh)}<br>${esc(m.source.en)} |`,
  );
  const legend = Object.entries(windowSemanticsText).map(([k, t]) => `- \`${k}\`: ${t.en} (${t.zh})`);
  return [
    '| id | 名称 / name | 定义 / definition | unit | window placing | source |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Window placing — which moment puts a figure in a window:',
    '',
    ...legend,
  ].join('\n');
}

if (process.argv[1]?.endsWith('registry-table.ts')) console.log(registryTable());
